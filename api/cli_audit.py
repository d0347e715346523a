"""``nextbest audit``: verify the log, sign and list checkpoints, export, show the key."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from agent.audit.checkpoint import NoteSigner, load_signer
from agent.audit.store import CheckpointRefused, SqlAuditLog, export_line
from agent.config import AgentConfig
from api.cli_settings import settings_or_exit

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="The tamper-evident log: verify, checkpoints, export.", no_args_is_help=True
)


def _signer(config: AgentConfig) -> NoteSigner:
    signing = config.audit_signing_key.get_secret_value() if config.audit_signing_key else None
    return load_signer(config.data_dir, config.audit_origin, signing)


def _open() -> tuple[AgentConfig, NoteSigner, SqlAuditLog]:
    config = settings_or_exit().to_agent_config()
    signer = _signer(config)
    return config, signer, SqlAuditLog(config.database_target, signer=signer)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=value.tzinfo or UTC)


@audit_app.command("verify")
def verify(
    since: Annotated[
        datetime | None, typer.Option(help="Check rows chained at or after this time (UTC).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check every chained row, the chain's links and every signed checkpoint; exit 1 naming
    the first broken row."""
    _, _, audit = _open()
    try:
        report = audit.verify(since=_utc(since))
    finally:
        audit.close()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    elif report.ok:
        rate = report.rows / report.seconds if report.seconds else float("inf")
        typer.echo(
            f"ok: {report.entries} entries, {report.rows} rows hashed again, "
            f"{report.checkpoints} signed checkpoint(s) match; head {report.head[:16]}… "
            f"({report.seconds:.2f} s, {rate:,.0f} rows/s)"
        )
    else:
        assert report.first is not None
        first = report.first
        where = f"entry {first.seq}" if first.seq is not None else "no entry"
        typer.echo(
            f"BROKEN: {first.what} at {where}, {first.kind} {first.ref}: {first.detail}",
            err=True,
        )
        for problem in report.problems[1:10]:
            typer.echo(f"  also: {problem.what} {problem.kind} {problem.ref}", err=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign the chain's head now and print the checkpoint (the server also does, periodically)."""
    config, signer, audit = _open()
    try:
        signed = audit.checkpoint(signer, config.audit_origin, datetime.now(UTC))
    except CheckpointRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        audit.close()
    if signed is None:
        typer.echo("the chain has not grown since the last checkpoint", err=True)
        return
    typer.echo(signed.note, nl=False)


@audit_app.command("checkpoints")
def checkpoints(
    out: Annotated[
        Path | None, typer.Option(help="Write each as <size>.checkpoint into this folder.")
    ] = None,
) -> None:
    """List the signed checkpoints (C2SP tlog-checkpoint notes), or write them to files."""
    _, _, audit = _open()
    try:
        found = audit.checkpoints()
    finally:
        audit.close()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for item in found:
            (out / f"{item.size:012d}.checkpoint").write_text(item.note)
        typer.echo(f"{len(found)} checkpoint(s) written to {out}")
        return
    for item in found:
        typer.echo(item.note)


@audit_app.command("export")
def export(
    since: Annotated[datetime | None, typer.Option(help="Entries at or after (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Entries before (UTC).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write to this file (default: stdout).")] = None,
) -> None:
    """Write the chain's entries with their rows as JSONL, for external archiving (sealed
    records stay sealed: an erased customer's records stay unreadable in the archive too)."""
    _, _, audit = _open()
    stream = out.open("w") if out is not None else sys.stdout
    count = 0
    try:
        for entry in audit.export(since=_utc(since), until=_utc(until)):
            stream.write(export_line(entry) + "\n")
            count += 1
    finally:
        audit.close()
        if out is not None:
            stream.close()
    if out is not None:
        typer.echo(f"{count} entries written to {out}")


@audit_app.command("key")
def key() -> None:
    """Print the verifier key of the checkpoint signatures (note format)."""
    typer.echo(_signer(settings_or_exit().to_agent_config()).verifier_key)

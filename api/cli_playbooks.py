"""``nextbest playbooks``: validate and ingest playbooks (into the store, or through a running
server), and list the active ones."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from agent.playbooks.parse import PlaybookError, playbook_files
from agent.service import Decider
from api.cli_settings import settings_or_exit
from api.serve_lock import serving_pid

__all__ = ["playbooks_app"]

playbooks_app = typer.Typer(help="Validate, ingest and list playbooks.", no_args_is_help=True)


@playbooks_app.command("ingest")
def playbooks_ingest(
    path: Annotated[Path, typer.Argument(help="A playbook file or a folder of them.")],
    url: Annotated[
        str | None,
        typer.Option(help="A running server, e.g. http://127.0.0.1:8080: ingest through it."),
    ] = None,
    key: Annotated[
        str | None, typer.Option(envvar="NEXTBEST_KEY", help="An admin API key for --url.")
    ] = None,
) -> None:
    """Validate playbooks and upsert new versions into the store (unchanged ones are skipped).
    While a server runs on embedded Chroma, ingest through it (--url): embedded Chroma is not
    safe for two processes."""
    if url is not None:
        typer.echo(json.dumps(_ingest_through(url, key, path), indent=2))
        return
    settings = settings_or_exit()
    if settings.chroma_mode == "embedded" and (holder := serving_pid(settings.data_dir)):
        typer.echo(
            f"error: a server (pid {holder}) serves {settings.data_dir} on embedded Chroma; "
            "ingest through it: nextbest playbooks ingest PATH --url http://HOST:PORT",
            err=True,
        )
        raise typer.Exit(2)
    decider = Decider.build(settings.to_agent_config())
    try:
        report = decider.ingest_playbooks(path)
    except (PlaybookError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        decider.close()
    typer.echo(report.model_dump_json(indent=2))


def _ingest_through(url: str, key: str | None, path: Path) -> dict[str, Any]:
    """POST the files to a running server's /v1/playbooks; its report, or exit 2 with why."""
    try:
        files = [
            {"name": f.name, "text": f.read_text(encoding="utf-8")} for f in playbook_files(path)
        ]
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = httpx.post(
            f"{url.rstrip('/')}/v1/playbooks", json={"files": files}, headers=headers, timeout=120
        )
    except (PlaybookError, OSError, httpx.HTTPError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if response.status_code != 200:
        try:
            error = dict(response.json().get("error", {}))
        except ValueError:  # not the API's error shape: a proxy's page, say
            error = {}
        where = f" ({error['field']})" if error.get("field") else ""
        typer.echo(
            f"error: {response.status_code}: {error.get('message', response.text)}{where}", err=True
        )
        raise typer.Exit(2)
    return dict(response.json())


@playbooks_app.command("list")
def playbooks_list() -> None:
    """List the active playbooks."""
    decider = Decider.build(settings_or_exit().to_agent_config())
    try:
        for playbook in asyncio.run(decider.list_playbooks()):
            typer.echo(f"{playbook.key:<48} {playbook.journey:<18} {playbook.title}")
    finally:
        decider.close()

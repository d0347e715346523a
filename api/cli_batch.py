"""``nextbest batch decide``: an outbound campaign's decisions, concurrently, with a progress
bar, resumable by run id, ending with a summary table; in this process, or as a Ray Data job
(``--ray``) when the campaign outgrows it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agent.batch import BatchItem, BatchSummary, run_batch
from agent.batch.ray_job import RayJobError, RayOptions, run_batch_on_ray
from agent.ids import new_id
from agent.service import Decider
from api.cli_settings import settings_or_exit
from api.serve_lock import serving_pid
from api.settings import Settings

__all__ = ["batch_app"]

batch_app = typer.Typer(help="Decisions for many customers at once.", no_args_is_help=True)


def _from_file(path: Path) -> list[str]:
    """One customer id per line (the first comma-separated field); blank lines and lines
    starting with # are skipped."""
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(",", 1)[0].strip()
        if line and not line.startswith("#"):
            ids.append(line)
    return ids


def _in_segment(decider: Decider, segment: str) -> Iterator[str]:
    cursor = None
    while True:
        page = asyncio.run(decider.list_customers(limit=200, cursor=cursor))
        yield from (p.customer_id for p in page.items if p.segment == segment)
        if (cursor := page.next_cursor) is None:
            return


def print_summary(summary: BatchSummary, console: Console) -> None:
    console.print(
        f"run {summary.run_id}: {summary.customers:,} customers, {summary.decided:,} decided, "
        f"{summary.replayed:,} already decided by an earlier try, {summary.failed:,} failed; "
        f"{summary.seconds:,.1f} s, {summary.decisions_per_s:,.1f} decisions/s"
    )
    table = Table(title="Actions chosen", title_justify="left")
    table.add_column("action")
    table.add_column("decisions", justify="right")
    for action, count in summary.actions.items():
        table.add_row(action, f"{count:,}")
    console.print(table)
    denials = Table(title="Decisions with a denial, by policy", title_justify="left")
    denials.add_column("policy")
    denials.add_column("decisions", justify="right")
    for policy, count in summary.denials.items():
        denials.add_row(policy, f"{count:,}")
    denials.add_row("(safe default used)", f"{summary.safe_defaults:,}")
    console.print(denials)
    for customer_id, error in summary.errors.items():
        console.print(f"failed: {customer_id}: {error}", style="red")


def _ray_options(
    ray: bool, address: str | None, workers: int | None, concurrency: int
) -> RayOptions | None:
    """The Ray job's options, or None to decide in this process; exit 2 on a bad combination."""
    if not ray:
        if address is not None or workers is not None:
            typer.echo("--ray-address and --ray-workers need --ray", err=True)
            raise typer.Exit(2)
        return None
    return RayOptions(address=address, workers=workers or 2, concurrency=concurrency)


def _refuse_embedded_while_served(settings: Settings) -> None:
    """The Ray job copies the embedded playbook index: not while a server may write it."""
    if settings.chroma_mode == "embedded" and (pid := serving_pid(settings.data_dir)) is not None:
        typer.echo(
            f"a server (pid {pid}) serves {str(settings.data_dir)!r} with embedded Chroma: stop "
            "it, or run both against a Chroma server (NEXTBEST_CHROMA_MODE=http)",
            err=True,
        )
        raise typer.Exit(2)


def _customer_ids(settings: Settings, customers: Path | None, segment: str | None) -> list[str]:
    if customers is not None:
        try:
            return _from_file(customers)
        except OSError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    decider = Decider.build(settings.to_agent_config())
    try:
        return list(_in_segment(decider, segment or ""))
    finally:
        decider.close()


def _decide(
    settings: Settings,
    ids: list[str],
    run: str,
    journey: str | None,
    concurrency: int,
    ray: RayOptions | None,
    on_item: Callable[[BatchItem], None],
) -> BatchSummary:
    if ray is not None:
        try:
            return run_batch_on_ray(
                settings.to_agent_config(),
                ids,
                run_id=run,
                journey=journey,
                options=ray,
                on_item=on_item,
            )
        except RayJobError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    decider = Decider.build(settings.to_agent_config())
    try:
        return asyncio.run(
            run_batch(
                decider, ids, run_id=run, journey=journey, concurrency=concurrency, on_item=on_item
            )
        )
    finally:
        decider.close()


@batch_app.command("decide")
def batch_decide(
    customers: Annotated[
        Path | None,
        typer.Option(help="A file of customer ids, one per line (or a CSV's first column)."),
    ] = None,
    segment: Annotated[str | None, typer.Option(help="Every stored customer of a segment.")] = None,
    journey: Annotated[
        str | None, typer.Option(help="The campaign's journey, e.g. renewal.")
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option(help="Resume this run: customers it decided are not decided again."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Decisions at once (with --ray: per worker).")
    ] = 8,
    ray: Annotated[
        bool, typer.Option("--ray", help="Run as a Ray Data job (needs nextbest[ray]).")
    ] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="The Ray cluster, e.g. ray://head:10001 (default: RAY_ADDRESS, else a "
            "local instance)."
        ),
    ] = None,
    ray_workers: Annotated[
        int | None,
        typer.Option(min=1, max=1024, help="Ray workers, each with its own stores (default 2)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Decide the next best action for many customers (outbound), through the same graph,
    guards and log as POST /v1/decide. Each customer is decided once per run id."""
    if (customers is None) == (segment is None):
        typer.echo("give exactly one of --customers or --segment", err=True)
        raise typer.Exit(2)
    on_ray = _ray_options(ray, ray_address, ray_workers, concurrency)
    settings = settings_or_exit()
    if on_ray is not None:
        _refuse_embedded_while_served(settings)
    run = run_id or new_id("run", ms=int(datetime.now(UTC).timestamp() * 1000))
    ids = _customer_ids(settings, customers, segment)
    console = Console(stderr=True)
    if not as_json:
        where = f" on Ray, {on_ray.workers} workers" if on_ray else ""
        console.print(f"run {run}: {len(ids):,} customers{where} (resume with --run-id {run})")
    with Progress(
        TextColumn("deciding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=as_json,
    ) as progress:
        task = progress.add_task("decide", total=len(ids))

        def advance(_: BatchItem) -> None:
            progress.advance(task)

        summary = _decide(settings, ids, run, journey, concurrency, on_ray, advance)
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
    else:
        print_summary(summary, Console())

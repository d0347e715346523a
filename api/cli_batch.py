"""``nextbest batch decide``: an outbound campaign's decisions, concurrently, with a progress
bar, resumable by run id, ending with a summary table."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from agent.batch import BatchItem, BatchSummary, run_batch
from agent.ids import new_id
from agent.service import Decider
from api.cli_settings import settings_or_exit

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
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Decisions at once.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Decide the next best action for many customers (outbound), through the same graph,
    guards and log as POST /v1/decide. Each customer is decided once per run id."""
    if (customers is None) == (segment is None):
        typer.echo("give exactly one of --customers or --segment", err=True)
        raise typer.Exit(2)
    run = run_id or new_id("run", ms=int(datetime.now(UTC).timestamp() * 1000))
    decider = Decider.build(settings_or_exit().to_agent_config())
    try:
        try:
            ids = _from_file(customers) if customers else list(_in_segment(decider, segment or ""))
        except OSError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        console = Console(stderr=True)
        if not as_json:
            console.print(f"run {run}: {len(ids):,} customers (resume with --run-id {run})")
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

            summary = asyncio.run(
                run_batch(
                    decider,
                    ids,
                    run_id=run,
                    journey=journey,
                    concurrency=concurrency,
                    on_item=advance,
                )
            )
    finally:
        decider.close()
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
    else:
        print_summary(summary, Console())

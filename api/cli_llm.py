"""``nextbest llm``: what the configured LLM server supports, found by asking it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from agent.llm.probe import ProbeResult, probed
from api.cli_settings import settings_or_exit

__all__ = ["llm_app", "print_probe"]

llm_app = typer.Typer(help="The LLM server: what it supports.", no_args_is_help=True)


def print_probe(result: ProbeResult, console: Console, *, cached: bool) -> None:
    """The modes as a table, then the setting to use."""
    when = f"{result.probed_at:%Y-%m-%d %H:%M:%S} UTC" + (" (cached)" if cached else "")
    table = Table(
        title=f"{result.model} at {result.base_url}, probed {when}",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
    )
    table.add_column("tool_choice", no_wrap=True)
    table.add_column("works", no_wrap=True)
    table.add_column("ms", justify="right", no_wrap=True)
    table.add_column("answer")
    for mode in result.modes:
        table.add_row(mode.mode, "yes" if mode.ok else "no", f"{mode.latency_ms:.0f}", mode.detail)
    console.print(table)
    if result.recommended is None:
        console.print("No mode worked: LLM mode would fall back to the rules planner.")
    else:
        console.print(
            f"Recommended: NEXTBEST_LLM_TOOL_CHOICE={result.recommended} "
            "(or NEXTBEST_LLM_TOOL_CHOICE=probe, which uses this result)"
        )


@llm_app.command("probe")
def probe_command(
    refresh: Annotated[
        bool, typer.Option(help="Probe again even if a result for this server is cached.")
    ] = False,
) -> None:
    """Try each tool_choice mode (required, named, auto, none) against NEXTBEST_LLM_BASE_URL
    and NEXTBEST_LLM_MODEL, cache the result in the data directory, and recommend one. Exits 1
    when no mode works."""
    config = settings_or_exit().to_agent_config()
    if config.llm is None:
        typer.echo("error: set NEXTBEST_LLM_BASE_URL and NEXTBEST_LLM_MODEL first", err=True)
        raise typer.Exit(2)
    result, cached = probed(config.llm, config.data_dir, refresh=refresh)
    print_probe(result, Console(width=max(Console().width, 120)), cached=cached)
    if result.recommended is None:
        raise typer.Exit(1)

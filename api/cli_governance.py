"""``nextbest governance report``: what is unowned or overdue for review, and which playbooks
and policies the KPIs say are getting worse."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from agent.governance import GovernanceReport, governance_report
from agent.kpis import Rate
from agent.service import Decider
from api.cli_kpis import kpis_console
from api.cli_settings import settings_or_exit

__all__ = ["governance_app", "print_governance"]

governance_app = typer.Typer(
    help="Ownership, review cadence and rising rates.", no_args_is_help=True
)

_PROBLEMS = {
    "unowned": "no owner",
    "review_overdue": "review overdue",
    "no_review_date": "no review date",
    "review_due": "review due soon",
}


def _rate(rate: Rate) -> str:
    if rate.value is None:
        return "-"
    return f"{rate.value:.0%} of {rate.n}"


def print_governance(report: GovernanceReport, console: Console) -> None:
    """The stewardship table and the rising rates, as a governance lead reads them."""
    today = report.as_of.date()
    if report.stewardship:
        table = Table(
            title=f"Ownership and review, as of {today}",
            box=box.SIMPLE_HEAD,
            title_justify="left",
            pad_edge=False,
        )
        for column in ("problem", "what", "id", "owner", "review by"):
            table.add_column(column, no_wrap=column != "id")
        for issue in report.stewardship:
            table.add_row(
                _PROBLEMS[issue.problem],
                issue.subject.replace("_", " "),
                issue.id,
                issue.owner or "-",
                "-" if issue.review_by is None else str(issue.review_by),
                style="bold" if issue.problem in ("unowned", "review_overdue") else None,
            )
        console.print(table)
    else:
        console.print(f"Ownership and review, as of {today}: every item owned and in date.")
    if report.rising:
        table = Table(
            title="Rising rates (the recent window's 95% interval wholly above the earlier rate)",
            box=box.SIMPLE_HEAD,
            title_justify="left",
            pad_edge=False,
        )
        for column in ("what", "id", "owner", "rate", "earlier", "recent", "windows"):
            table.add_column(column, no_wrap=True)
        for rising in report.rising:
            start, boundary, end = rising.windows
            table.add_row(
                rising.subject,
                rising.id,
                rising.owner or "-",
                rising.metric.replace("_", " "),
                _rate(rising.earlier),
                _rate(rising.recent),
                f"{start:%m-%d}..{boundary:%m-%d}..{end:%m-%d}",
            )
        console.print(table)
    else:
        console.print(
            "Rising rates: no playbook's repeat-contact rate or policy's denial rate rose."
        )


@governance_app.command("report")
def report_command(
    as_of: Annotated[
        datetime | None, typer.Option(help="Report as of this moment, UTC (default: now).")
    ] = None,
    window_days: Annotated[
        int, typer.Option(min=7, max=180, help="Each compared window, in days.")
    ] = 30,
    due_within_days: Annotated[
        int, typer.Option(min=0, max=365, help="A review this close counts as due.")
    ] = 30,
    min_n: Annotated[
        int, typer.Option(min=1, max=100_000, help="Fewest contacts or decisions per window.")
    ] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Playbooks, policy rules and the pack that are unowned, undated, overdue or due for
    review; and playbooks whose repeat-contact rate, and policies whose denial rate, rose
    between the last two windows of the decision log."""
    moment = (as_of or datetime.now(UTC)).replace(tzinfo=(as_of and as_of.tzinfo) or UTC)
    decider = Decider.build(settings_or_exit().to_agent_config(), clock=lambda: moment)
    try:
        report = asyncio.run(
            governance_report(
                decider,
                moment,
                window_days=window_days,
                due_within_days=due_within_days,
                min_n=min_n,
            )
        )
    finally:
        decider.close()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    print_governance(report, kpis_console())

"""``nextbest kpis``: the journey KPIs as a table in the terminal (or JSON)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table

from agent.kpis import KpiGroup, KpiQuery, KpiReport, Mean, Rate
from agent.kpis.store import SqlKpiReader
from api.cli_settings import settings_or_exit

__all__ = ["kpis_command", "kpis_console", "print_kpis"]

_WIDTH = 150
"""The tables' width: both fit on one line each at this width."""


def kpis_console() -> Console:
    """A console at least wide enough for the KPI tables (piped output defaults to 80)."""
    return Console(width=max(Console().width, _WIDTH))


def _rate(rate: Rate) -> str:
    """``86% 83-89``: the rate and its Wilson 95% interval (its n has a column of its own)."""
    if rate.value is None or rate.ci_low is None or rate.ci_high is None:
        return "-"
    return f"{rate.value:.0%} {rate.ci_low * 100:.0f}-{rate.ci_high * 100:.0f}"


def _mean(mean: Mean) -> str:
    if mean.value is None or mean.ci_low is None or mean.ci_high is None:
        return "-"
    return f"{mean.value:.2f} ±{mean.ci_high - mean.value:.2f}"


def _value(group: KpiGroup) -> str:
    return "\n".join(f"{v.amount:,.0f} {v.currency}" for v in group.value) or "-"


def _approval(group: KpiGroup) -> str:
    median = group.approval.turnaround_median_s
    required = group.approval.required.k
    return (
        "-"
        if not required
        else f"{required}" + ("" if median is None else f", {median / 3600:.1f}h")
    )


def _denial(group: KpiGroup) -> str:
    top = group.denials[:1]
    return "\n".join(f"{d.reason_code} x{d.proposals}" for d in top) or "-"


def _table(title: str, key: str, columns: list[str]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    table.add_column(key, no_wrap=True)
    for column in columns:
        table.add_column(column, justify="right", no_wrap=column == "top denial")
    return table


def print_kpis(report: KpiReport, console: Console) -> None:
    """Two tables: what happened to the actions, then the contacts and the guards. Rates show
    their Wilson 95% interval; the n each rests on has its own column."""
    window = (
        f"decisions from {report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"
        + (f", journey {report.journey}" if report.journey else "")
    )
    rows = [*report.groups, report.overall]
    outcomes = _table(
        f"Outcomes by {report.group_by}, {window}",
        report.group_by,
        ["decisions", "judged", "executed", "n exec", "accepted", "converted", "value",
         "no response"],
    )  # fmt: skip
    contacts = _table(
        f"Contacts and guards by {report.group_by} (repeat window "
        f"{report.repeat_contact_days} days, as of {report.as_of:%Y-%m-%d %H:%M} UTC)",
        report.group_by,
        ["contacts", "judged", "repeat", "FCR", "transfers", "effort", "safe default",
         "approvals", "top denial"],
    )  # fmt: skip
    for group in rows:
        style = "bold" if group is report.overall else None
        outcomes.add_row(
            group.key,
            str(group.decisions),
            str(group.execution.n),
            _rate(group.execution),
            str(group.acceptance.n),
            _rate(group.acceptance),
            _rate(group.conversion),
            _value(group),
            _rate(group.no_response),
            style=style,
        )
        contacts.add_row(
            group.key,
            str(group.transfers_per_contact.n),
            str(group.repeat_contact.n),
            _rate(group.repeat_contact),
            _rate(group.first_contact_resolution),
            _mean(group.transfers_per_contact),
            _mean(group.effort),
            _rate(group.safe_default),
            _approval(group),
            _denial(group),
            style=style,
        )
    console.print(outcomes)
    console.print(contacts)
    console.print(
        "rates: value and Wilson 95% interval; judged: the n of the executed rate (decisions "
        "whose fate is known) and of repeat/FCR (contacts whose window closed); n exec: the n "
        "of accepted and converted. --json has every n and interval.",
        style="dim",
    )


def kpis_command(
    since: Annotated[
        datetime | None, typer.Option(help="Window start, UTC (default: 90 days before until).")
    ] = None,
    until: Annotated[datetime | None, typer.Option(help="Window end, UTC (default: now).")] = None,
    journey: Annotated[str | None, typer.Option(help="Only this journey.")] = None,
    kind: Annotated[str | None, typer.Option(help="decision or briefing (default: both).")] = None,
    group_by: Annotated[
        str, typer.Option(help="journey, playbook, action_type, channel, segment or mode.")
    ] = "journey",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Journey KPIs from the decision log: rates with their n and Wilson 95% intervals."""
    config = settings_or_exit().to_agent_config()
    now = datetime.now(UTC)
    end = until.replace(tzinfo=until.tzinfo or UTC) if until else now
    start = since.replace(tzinfo=since.tzinfo or UTC) if since else end - timedelta(days=90)
    try:
        query = KpiQuery.model_validate(
            {"since": start, "until": end, "journey": journey, "kind": kind, "group_by": group_by}
        )
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "query"
            typer.echo(f"invalid option: {where}: {error['msg']}", err=True)
        raise typer.Exit(2) from None
    reader = SqlKpiReader(config.database_target)
    try:
        report = reader.kpis(query, now=now, config=config.outcomes)
    finally:
        reader.close()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    print_kpis(report, kpis_console())

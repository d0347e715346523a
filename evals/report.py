"""Reports of an eval run for people: a terminal table (rich) and the JSON result.

The HTML report lives in :mod:`evals.html`.
"""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from evals.result import EvalResultV1, GroupMetrics, ScenarioResult

__all__ = ["metrics_table", "print_summary", "write_json"]


_HEADERS = (
    "journey",
    "pass",
    "acc",
    "forbid",
    "viol",
    "fallbk",
    "recall",
    "claim",
    "p50",
    "p95",
)
"""Short, so the table fits 80 columns: accuracy, forbidden rate, violations, fallback rate,
briefing fact recall, unsupported claims, latency percentiles in ms."""


def _pct(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def _row(name: str, group: GroupMetrics) -> list[str | Text]:
    violations = Text(str(group.violations), style="bold red" if group.violations else "green")
    return [
        name,
        f"{group.passed}/{group.scenarios}",
        _pct(group.action_accuracy, 1),
        _pct(group.forbidden_rate),
        violations,
        _pct(group.fallback_rate),
        _pct(group.briefing_fact_recall),
        str(group.unsupported_claims),
        f"{group.latency_p50_ms:.0f}",
        f"{group.latency_p95_ms:.0f}",
    ]


def metrics_table(result: EvalResultV1) -> Table:
    """Overall first, then one row per journey."""
    run = result.run
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 1),
        show_edge=False,
        title=escape(f"eval {run.suite} · {run.mode} · {run.policy_pack} · {run.duration_s:.1f}s"),
        title_justify="left",
    )
    table.add_column(_HEADERS[0], no_wrap=True, overflow="ellipsis", min_width=10)
    for header in _HEADERS[1:]:
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    table.add_row(*_row("overall", result.metrics.overall), style="bold")
    table.add_section()
    for journey, group in result.metrics.by_journey.items():
        table.add_row(*_row(journey, group))
    table.caption = (
        "acc: chosen action acceptable · forbid: chosen action forbidden · viol: final actions a "
        "policy forbids · fallbk: rules fallback · recall: briefing fact recall · claim: "
        "unsupported briefing claims · latency in ms"
    )
    return table


def _failure_line(scenario: ScenarioResult) -> Text:
    text = Text()
    if scenario.violation:
        text.append("VIOLATION ", style="bold white on red")
    text.append(scenario.id, style="bold")
    got = scenario.got.description if scenario.got else f"error: {scenario.error}"
    text.append(f"\n   got: {got}")
    for evaluator in scenario.evaluators:
        if not evaluator.passed:
            text.append(f"\n   {evaluator.name}: {evaluator.detail}", style="yellow")
    return text


def print_summary(result: EvalResultV1, console: Console | None = None) -> None:
    """The metrics table, then every failed scenario with what failed and why."""
    console = console or Console()
    console.print(metrics_table(result))
    if result.run.mode == "llm":
        overall = result.metrics.overall
        console.print(
            f"the model decided {overall.model_used_rate:.0%} of the scenarios; "
            f"{overall.fallback_rate:.0%} fell back to the rules planner",
            markup=False,
        )
    failed = result.failed
    if failed:
        console.print(f"\n[bold]{len(failed)} failed scenario(s)[/bold]")
        for scenario in sorted(failed, key=lambda s: (not s.violation, s.id)):
            console.print(_failure_line(scenario))
    violations = result.metrics.overall.violations
    if violations:
        console.print(
            f"\n[bold white on red] {violations} POLICY VIOLATION(S): a final action a policy "
            "forbids [/]"
        )


def write_json(result: EvalResultV1, path: Path, *, slim: bool = False) -> None:
    """The result as JSON (``slim``: without traces, as a baseline is stored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = (
        result.slim().model_dump_json(indent=1, exclude_none=True)
        if slim
        else result.model_dump_json(indent=2)
    )
    path.write_text(body + "\n", encoding="utf-8")

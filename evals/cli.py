"""``nextbest eval``: run a scenario suite (with the regression gate), replay logged decisions,
and import reviewed decisions as scenarios.

Exit codes: 0 all good; 1 the gate failed (a policy violation, an accuracy drop, a crash) or a
replay found changes with ``--fail-on-change``; 2 bad usage or settings.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.config import AgentConfig
from agent.demo import DEMO_DIR
from agent.playbooks.parse import PlaybookError
from agent.service import Decider
from api.cli_settings import settings_or_exit
from evals.from_reviews import import_reviews
from evals.gate import (
    DEFAULT_JOURNEY_TOLERANCE,
    DEFAULT_MAX_FALLBACK,
    DEFAULT_MIN_ACCURACY,
    DEFAULT_TOLERANCE,
    GateReport,
    check,
)
from evals.html import write_html
from evals.replay import print_replay, replay
from evals.report import print_summary, write_json
from evals.result import EvalResultV1, ScenarioResult
from evals.runner import Mode, build_environment, run_and_close
from evals.suite import Suite, SuiteError, load_suite
from policies import PolicyPackError

__all__ = ["eval_app"]


class PlannerMode(StrEnum):
    RULES = "rules"
    LLM = "llm"


eval_app = typer.Typer(
    help="Scenario suites, the regression gate, and replay of logged decisions.",
    no_args_is_help=True,
)


def _console() -> Console:
    """The terminal's width, or 140 columns in logs (CI), so tables stay readable."""
    return Console() if sys.stdout.isatty() else Console(width=140)


def _config(mode: Mode, policy_pack: Path | None) -> AgentConfig:
    config = settings_or_exit(policy_pack=policy_pack).to_agent_config()
    if mode == "llm" and config.llm is None:
        typer.echo(
            "--mode llm needs an LLM: set NEXTBEST_LLM_BASE_URL and NEXTBEST_LLM_MODEL "
            "(and NEXTBEST_LLM_API_KEY for hosted endpoints)",
            err=True,
        )
        raise typer.Exit(2)
    return config


def _load_baseline(path: Path) -> EvalResultV1:
    try:
        return EvalResultV1.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        typer.echo(f"cannot read baseline {str(path)!r}: {exc}", err=True)
        raise typer.Exit(2) from None


def _run(
    suite: Suite, config: AgentConfig, mode: Mode, playbooks: Path, console: Console
) -> EvalResultV1:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )
    with tempfile.TemporaryDirectory(prefix="nextbest-eval-") as tmp:
        try:
            with console.status("loading the embedding model and playbooks"):
                env = build_environment(config, mode=mode, playbooks=playbooks, workdir=Path(tmp))
        except (PlaybookError, PolicyPackError, OSError) as exc:
            typer.echo(f"cannot set up the eval: {exc}", err=True)
            raise typer.Exit(2) from None
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"eval {suite.name}", total=len(suite.scenarios), last="")

            def advance(result: ScenarioResult) -> None:
                mark = "ok" if result.passed else ("VIOLATION" if result.violation else "fail")
                progress.update(task, advance=1, last=f"{result.id}: {mark}")

            return asyncio.run(run_and_close(env, suite, on_result=advance))


def _print_gate(gate: GateReport, console: Console) -> None:
    if gate.flipped:
        console.print("[bold]flipped from pass to fail:[/] " + ", ".join(gate.flipped), markup=True)
    if gate.fixed:
        console.print("fixed since the baseline: " + ", ".join(gate.fixed), markup=False)
    if gate.new:
        console.print("new scenarios: " + ", ".join(gate.new), markup=False)
    if gate.passed:
        console.print("[green]gate passed[/]")
        return
    console.print("[bold red]gate failed:[/]")
    for reason in gate.reasons:
        console.print(f"  - {reason}", markup=False)


@eval_app.command("run")
def run_command(
    suite: Annotated[
        str, typer.Option(help="A suite name under evals/suites, or a folder.")
    ] = "default",
    mode: Annotated[PlannerMode, typer.Option(help="Planner mode.")] = PlannerMode.RULES,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the result here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    baseline: Annotated[Path | None, typer.Option(help="Compare with this stored result.")] = None,
    tolerance: Annotated[
        float, typer.Option(help="Allowed overall accuracy drop.")
    ] = DEFAULT_TOLERANCE,
    journey_tolerance: Annotated[
        float, typer.Option(help="Allowed accuracy drop of any one journey.")
    ] = DEFAULT_JOURNEY_TOLERANCE,
    min_accuracy: Annotated[
        float, typer.Option(min=0, max=1, help="The floor of overall action accuracy.")
    ] = DEFAULT_MIN_ACCURACY,
    max_fallback: Annotated[
        float,
        typer.Option(
            min=0, max=1, help="LLM mode: the most scenarios that may fall back to the rules."
        ),
    ] = DEFAULT_MAX_FALLBACK,
    allow_fallback: Annotated[
        bool, typer.Option(help="LLM mode: pass however often the model was absent.")
    ] = False,
    save_baseline: Annotated[
        Path | None, typer.Option(help="Write a slim result (no traces) to use as a baseline.")
    ] = None,
    playbooks: Annotated[Path, typer.Option(help="Playbook folder to evaluate.")] = DEMO_DIR
    / "playbooks",
    policy_pack: Annotated[
        Path | None, typer.Option(help="Policy pack (default: settings).")
    ] = None,
) -> None:
    """Run a suite; exit 1 on any policy violation, or on a regression against --baseline."""
    console = _console()
    try:
        loaded = load_suite(suite)
    except SuiteError as exc:
        typer.echo(f"invalid suite: {exc}", err=True)
        raise typer.Exit(2) from None
    planner: Mode = "llm" if mode is PlannerMode.LLM else "rules"
    config = _config(planner, policy_pack)
    stored = _load_baseline(baseline) if baseline is not None else None
    result = _run(loaded, config, planner, playbooks, console)
    gate = check(
        result,
        stored,
        tolerance=tolerance,
        journey_tolerance=journey_tolerance,
        min_accuracy=min_accuracy,
        max_fallback=None if allow_fallback else max_fallback,
    )
    # files first: a reader piping the output into `head` still gets them
    if json_path is not None:
        write_json(result, json_path)
    if save_baseline is not None:
        write_json(result, save_baseline, slim=True)
    if report is not None:
        write_html(result, report, gate)
    print_summary(result, console)
    for label, path in (("result", json_path), ("baseline", save_baseline), ("report", report)):
        if path is not None:
            console.print(f"{label}: {path}", markup=False)
    _print_gate(gate, console)
    if not gate.passed:
        raise typer.Exit(1)


def _parse_time(value: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        typer.echo(f"{option}: {value!r} is not an ISO 8601 time", err=True)
        raise typer.Exit(2) from None
    if parsed.tzinfo is None:
        typer.echo(f"{option}: {value!r} needs a timezone (e.g. 2026-11-20T00:00:00Z)", err=True)
        raise typer.Exit(2)
    return parsed


@eval_app.command("replay")
def replay_command(
    since: Annotated[str, typer.Option(help="ISO time: replay decisions made from then on.")],
    until: Annotated[str | None, typer.Option(help="ISO time: and before then.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 200,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report here.")] = None,
    fail_on_change: Annotated[bool, typer.Option(help="Exit 1 when any decision changed.")] = False,
) -> None:
    """Re-run logged decisions (their recorded inputs) through the current graph; show changes.

    Reads NEXTBEST_DATA_DIR's decision log and playbooks; writes nothing to them.
    """
    start = _parse_time(since, "--since")
    end = _parse_time(until, "--until") if until is not None else None
    if end is not None and end < start:
        typer.echo("--until must not be before --since", err=True)
        raise typer.Exit(2)
    config = settings_or_exit().to_agent_config()
    console = _console()
    with tempfile.TemporaryDirectory(prefix="nextbest-replay-") as tmp:
        result = replay(config, since=start, until=end, limit=limit, workdir=Path(tmp))
    print_replay(result, console)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if fail_on_change and result.changed:
        raise typer.Exit(1)


@eval_app.command("import-reviews")
def import_reviews_command(
    since: Annotated[str, typer.Option(help="ISO time: reviews written from then on.")],
    until: Annotated[str | None, typer.Option(help="ISO time: and before then.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the scenarios (default: NEXTBEST_DATA_DIR/suites/reviews)."),
    ] = None,
) -> None:
    """Turn reviewed decisions into eval scenarios, the reviewer's action as the expected one.

    One YAML file per decision (the latest review wins); run them with
    `nextbest eval run --suite <folder>`. Erasing a customer deletes the files made from them.
    """
    start = _parse_time(since, "--since")
    end = _parse_time(until, "--until") if until is not None else None
    if end is not None and end <= start:
        typer.echo("--until must be after --since", err=True)
        raise typer.Exit(2)
    config = settings_or_exit().to_agent_config()
    folder = out or config.data_dir / "suites" / "reviews"
    decider = Decider.build(config)
    try:
        report = import_reviews(
            decider.deps, since=start, until=end, out=folder, now=decider.deps.clock()
        )
    finally:
        decider.close()
    typer.echo(f"{len(report.written)} scenario(s) written to {folder}")
    for decision_id, why in report.skipped:
        typer.echo(f"  skipped {decision_id}: {why}")
    if report.written:
        typer.echo(f"run them: nextbest eval run --suite {folder}")

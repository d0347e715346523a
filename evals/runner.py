"""Run a suite: each scenario through the real graph, in its own throwaway stores, judged.

One :class:`Environment` per run holds what is slow to build and never written by a decision:
the embedding model, the playbook store (ingested once) and the policy pack. Each scenario then
gets fresh SQLite stores in its own folder and a clock pinned to ``scenario.now``, so no scenario
sees another's customers, events or decisions. Prior actions are appended to that scenario's
decision log as honest records (rationale "eval seed"), so contact caps and incentive budgets
count them exactly as they count real decisions.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from agent.config import AgentConfig
from agent.deps import Deps, build_deps
from agent.playbooks.parse import load_playbooks
from agent.record import DecisionRecordV1
from agent.service import Decider
from evals.evaluators import Case, Evaluator
from evals.metrics import metrics
from evals.result import EvalResultV1, RunInfo, ScenarioResult
from evals.scenario import Scenario
from evals.seeding import Prepared, prepare
from evals.suite import Suite
from evals.summarize import expected_lines, got_action, trace_summary
from evals.violation import evaluators_for

__all__ = [
    "Environment",
    "Execution",
    "Mode",
    "OnResult",
    "build_environment",
    "execute",
    "judge",
    "run_and_close",
    "run_scenario",
    "run_suite",
]

Mode = Literal["rules", "llm"]
OnResult = Callable[[ScenarioResult], None]


@dataclass(frozen=True, slots=True)
class Environment:
    """What every scenario of a run shares; ``workdir`` holds the per-scenario stores."""

    deps: Deps
    mode: Mode
    workdir: Path

    def close(self) -> None:
        """Close the stores (an LLM client must be closed with :meth:`aclose`, in its loop)."""
        self.deps.close()

    async def aclose(self) -> None:
        """Close the LLM client's connections and the stores, from the loop that used them."""
        await self.deps.aclose()


def build_environment(
    config: AgentConfig, *, mode: Mode, playbooks: Path, workdir: Path
) -> Environment:
    """Embedded Chroma in ``workdir`` with ``playbooks`` ingested; the LLM only in llm mode."""
    if mode == "llm" and config.llm is None:
        raise ValueError("llm mode needs an LLM (NEXTBEST_LLM_BASE_URL and NEXTBEST_LLM_MODEL)")
    base = config.model_copy(
        update={
            "data_dir": workdir / "base",
            "chroma_mode": "embedded",
            "llm": config.llm if mode == "llm" else None,
        }
    )
    deps = build_deps(base, clock=lambda: datetime.now(UTC))
    deps.playbooks.ingest(load_playbooks(playbooks))
    return Environment(deps=deps, mode=mode, workdir=workdir)


def _scenario_deps(env: Environment, index: int, now: datetime) -> Deps:
    folder = Path(tempfile.mkdtemp(prefix=f"scenario-{index:04d}-", dir=env.workdir))
    config = env.deps.config.model_copy(update={"data_dir": folder})

    def clock() -> datetime:
        return now

    return env.deps.with_stores_in(config, clock)


@dataclass(frozen=True, slots=True)
class Execution:
    """One scenario's decision: what was prepared, the record, and the decision's wall time."""

    prepared: Prepared
    record: DecisionRecordV1
    latency_ms: float


def _described(scenario: Scenario) -> dict[str, Any]:
    """What every result says of its scenario, judged or crashed."""
    return {
        "id": scenario.id,
        "title": scenario.title,
        "journey": scenario.journey,
        "tags": list(scenario.tags),
        "kind": scenario.kind,
        "notes": scenario.notes,
        "expected": expected_lines(scenario),
    }


def judge(
    scenario: Scenario, execution: Execution, evaluators: tuple[Evaluator, ...]
) -> ScenarioResult:
    """Apply every evaluator; the scenario passes when every applicable one passes."""
    record = execution.record
    case = Case(scenario=scenario, record=record, snapshot=execution.prepared.snapshot)
    results = [r for evaluator in evaluators if (r := evaluator(case)) is not None]
    return ScenarioResult(
        **_described(scenario),
        passed=all(r.passed for r in results),
        violation=any(r.dangerous for r in results),
        got=got_action(record),
        evaluators=results,
        latency_ms=execution.latency_ms,
        trace=trace_summary(record),
    )


async def execute(env: Environment, scenario: Scenario, index: int = 0) -> Execution:
    """Fresh stores, the scenario's state seeded, one decision (or briefing) at ``now``; the
    LLM's breakers start closed, so one scenario's failures do not decide the next ones'."""
    if env.deps.llm is not None:
        env.deps.llm.reset_breakers()
    deps = _scenario_deps(env, index, scenario.now)
    try:
        prepared = prepare(deps, scenario)
        decider = Decider(deps)
        run = decider.brief if scenario.kind == "briefing" else decider.decide
        started = time.perf_counter()
        record = (await run(prepared.request)).record
        latency = round((time.perf_counter() - started) * 1000, 3)
        return Execution(prepared=prepared, record=record, latency_ms=latency)
    finally:
        deps.close_stores()


def _crashed(scenario: Scenario, exc: Exception, latency_ms: float) -> ScenarioResult:
    return ScenarioResult(
        **_described(scenario),
        passed=False,
        violation=False,
        latency_ms=latency_ms,
        error=f"{type(exc).__name__}: {exc}",
    )


async def run_scenario(env: Environment, scenario: Scenario, index: int) -> ScenarioResult:
    """One scenario, judged; an exception is a failed scenario, not a crashed run."""
    started = time.perf_counter()
    try:
        execution = await execute(env, scenario, index)
    except Exception as exc:  # the report shows it; the run goes on
        return _crashed(scenario, exc, round((time.perf_counter() - started) * 1000, 3))
    return judge(scenario, execution, evaluators_for(env.deps.pack))


def _version() -> str:
    try:
        return version("nextbest")
    except PackageNotFoundError:  # pragma: no cover - run from a plain checkout
        return ""


async def run_suite(
    env: Environment, suite: Suite, *, on_result: OnResult | None = None
) -> EvalResultV1:
    """Every scenario in order; ``on_result`` is called after each (for a progress bar)."""
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    results = []
    for index, scenario in enumerate(suite.scenarios):
        result = await run_scenario(env, scenario, index)
        results.append(result)
        if on_result is not None:
            on_result(result)
    llm = env.deps.config.llm
    run = RunInfo(
        suite=suite.name,
        mode=env.mode,
        started_at=started_at,
        duration_s=round(time.perf_counter() - started, 3),
        policy_pack=f"{env.deps.pack.id}@{env.deps.pack.version}",
        embedding_model=env.deps.embedder.model_id,
        playbooks=env.deps.playbooks.count(),
        llm_model=llm.model if llm is not None and env.mode == "llm" else None,
        nextbest_version=_version(),
    )
    return EvalResultV1(run=run, metrics=metrics(results), scenarios=results)


async def run_and_close(
    env: Environment, suite: Suite, *, on_result: OnResult | None = None
) -> EvalResultV1:
    """:func:`run_suite`, then close the environment in the same event loop (an LLM client's
    connections belong to the loop that opened them)."""
    try:
        return await run_suite(env, suite, on_result=on_result)
    finally:
        await env.aclose()

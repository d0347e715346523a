"""Reviews feed the regression gate: reviewed decisions become scenarios (the reviewer's action
expected), which run through the eval runner; erasing a customer deletes theirs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agent.config import AgentConfig
from agent.demo import demo_now, seed
from agent.record import DecideRequest, DecisionRecordV1
from agent.reviews import ReviewIn
from agent.service import Asker, Decider
from api.cli import app
from evals.result import EvalResultV1
from evals.runner import Environment, run_suite
from evals.suite import load_suite
from tools import parse_action

LEAD = Asker(name="cx-lead")
NOTE_CARD = "customer read out 4111 1111 1111 1111 on the call"


def _decide(decider: Decider, customer_id: str) -> DecisionRecordV1:
    return asyncio.run(decider.decide(DecideRequest(customer_id=customer_id))).record


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, DecisionRecordV1]]:
    """Three decisions at the demo clock, reviewed good, poor and harmful."""
    folder = tmp_path_factory.mktemp("reviews-data")
    now = demo_now()
    decider = Decider.build(AgentConfig(data_dir=folder), clock=lambda: now)
    try:
        asyncio.run(seed(decider, now))
        good = _decide(decider, "c05_ralmeida")
        poor = _decide(decider, "c13_amehta")
        harmful = _decide(decider, "c09_athompson")
        nothing = parse_action({"type": "no_action", "args": {"reason": "leave them be"}})
        assert nothing.type != poor.chosen.call.type
        reviews = {
            good.decision_id: ReviewIn(verdict="good", tags=["billing"]),
            poor.decision_id: ReviewIn(verdict="poor", action=nothing, note=NOTE_CARD),
            harmful.decision_id: ReviewIn(verdict="harmful", action=nothing, tags=["tone"]),
        }
        for decision_id, review in reviews.items():
            asyncio.run(decider.add_review(decision_id, review, caller=LEAD))
    finally:
        decider.close()
    return folder, {"good": good, "poor": poor, "harmful": harmful}


def _import(data_dir: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(data_dir))
    since = (demo_now().replace(hour=0, minute=0)).isoformat()
    result = CliRunner().invoke(
        app, ["eval", "import-reviews", "--since", since, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_reviewed_decisions_become_scenarios_the_gate_runs(
    reviewed: tuple[Path, dict[str, DecisionRecordV1]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    eval_env: Environment,
) -> None:
    data_dir, decisions = reviewed
    out = tmp_path / "suite"
    output = _import(data_dir, out, monkeypatch)
    assert "3 scenario(s) written" in output
    suite = load_suite(out)
    by_id = {s.id.removeprefix("review-"): s for s in suite.scenarios}
    scenario = {v: by_id[d.decision_id.lower().replace("_", "-")] for v, d in decisions.items()}
    good, poor, harmful = scenario["good"], scenario["poor"], scenario["harmful"]
    assert [e.type for e in good.expect.acceptable] == [decisions["good"].chosen.call.type]
    assert [e.type.value for e in poor.expect.acceptable] == ["no_action"]
    assert poor.expect.forbidden == []
    assert [e.type for e in harmful.expect.forbidden] == [decisions["harmful"].chosen.call.type]
    assert harmful.now == decisions["harmful"].created_at
    assert "4111" not in (out / f"{poor.id}.yaml").read_text()  # the note was scrubbed
    assert {"review", "good", "billing"} <= set(good.tags)

    result: EvalResultV1 = asyncio.run(run_suite(eval_env, suite))
    passed = {r.id: r.passed for r in result.scenarios}
    assert passed == {good.id: True, poor.id: False, harmful.id: False}
    failing = next(r for r in result.scenarios if r.id == harmful.id)
    assert not failing.evaluator("forbidden_action").passed  # type: ignore[union-attr]


def test_erasure_deletes_the_scenarios_made_from_the_customer(
    reviewed: tuple[Path, dict[str, DecisionRecordV1]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir, decisions = reviewed
    out = tmp_path / "suite"
    _import(data_dir, out, monkeypatch)
    assert len(list(out.glob("*.yaml"))) == 3
    customer = decisions["poor"].customer_id
    decider = Decider.build(AgentConfig(data_dir=data_dir), clock=demo_now)
    try:
        receipt = asyncio.run(decider.erase_customer(customer))
    finally:
        decider.close()
    left = sorted(p.name for p in out.glob("*.yaml"))
    assert len(left) == 2
    assert all(
        yaml.safe_load((out / n).read_text())["profile"]["customer_id"] != customer for n in left
    )
    [swept] = [item for item in receipt.derived_removed if item.startswith("files made from")]
    assert f"review-{decisions['poor'].decision_id.lower().replace('_', '-')}.yaml" in swept

    again = _import(data_dir, tmp_path / "again", monkeypatch)
    assert "2 scenario(s) written" in again
    assert f"skipped {decisions['poor'].decision_id}: its customer was erased" in again

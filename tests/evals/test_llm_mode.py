"""LLM mode end to end against the scripted OpenAI-compatible stub: the plumbing, not the model.

Every record must say which planner decided (llm, llm_repaired or fallback_rules), and no final
action may break a policy, even when the model insists on one the guards refuse.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from agent.config import AgentConfig, LLMConfig
from agent.demo import DEMO_DIR
from api.cli import app
from evals.llm_stub import LLMStub, StubReply, StubRequest, StubToolCall
from evals.result import EvalResultV1
from evals.runner import build_environment, run_and_close
from evals.suite import Suite
from tests.evals.conftest import TINY

LLM_MODES = {"llm", "llm_repaired", "fallback_rules"}


def _run_llm(stub: LLMStub, suite: Suite, workdir: Path) -> EvalResultV1:
    llm = LLMConfig(base_url=stub.base_url, model="stub-model", api_key=SecretStr("x"))
    config = AgentConfig(data_dir=workdir, llm=llm)
    env = build_environment(config, mode="llm", playbooks=DEMO_DIR / "playbooks", workdir=workdir)
    return asyncio.run(run_and_close(env, suite))


def _assert_plumbing(result: EvalResultV1) -> None:
    assert result.run.mode == "llm"
    assert result.run.llm_model == "stub-model"
    assert result.metrics.overall.violations == 0
    for scenario in result.scenarios:
        assert scenario.error is None, scenario.error
        assert scenario.got is not None
        assert scenario.got.mode in LLM_MODES, scenario.got
        assert not scenario.violation, scenario.evaluators


def test_the_tiny_suite_in_llm_mode(tiny_suite: Suite, tmp_path: Path) -> None:
    with LLMStub() as stub:
        result = _run_llm(stub, tiny_suite, tmp_path)
        assert stub.requests  # the model was asked
    _assert_plumbing(result)


def _pushy(request: StubRequest) -> StubReply:
    """A model that always wants to text a marketing offer, whatever it is offered."""
    if not request.tools:
        return StubReply(content="Customer context [f1].")
    return StubReply(
        tool_calls=[
            StubToolCall(
                name="send_message",
                arguments={
                    "playbook_id": None,
                    "rationale": "text them an offer",
                    "args": {"channel": "sms", "purpose": "marketing", "template_id": "promo"},
                },
            )
        ]
    )


def test_a_model_insisting_on_a_forbidden_action_never_gets_it(
    tiny_suite: Suite, tmp_path: Path
) -> None:
    with LLMStub(script=_pushy) as stub:
        result = _run_llm(stub, tiny_suite, tmp_path)
    _assert_plumbing(result)
    consent = next(s for s in result.scenarios if s.id == "tiny-sms-consent-denied")
    assert consent.got is not None
    assert consent.got.args.get("channel") != "sms"


def _cli_llm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Result:
    """``nextbest eval run --mode llm`` on the tiny suite against the default stub, whose
    minimal no_action is refused where a guard must act (so a third falls back)."""
    with LLMStub() as stub:
        monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("NEXTBEST_LLM_BASE_URL", stub.base_url)
        monkeypatch.setenv("NEXTBEST_LLM_MODEL", "stub-model")
        # the plumbing, not the stub's accuracy: no floor
        command = ["eval", "run", "--suite", str(TINY), "--mode", "llm", "--min-accuracy", "0"]
        return CliRunner().invoke(app, [*command, *extra])


def test_the_cli_runs_llm_mode_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "llm.json"
    result = _cli_llm(tmp_path, monkeypatch, "--json", str(out), "--allow-fallback")
    assert result.exit_code == 0, result.output
    assert "eval tiny · llm" in result.output
    assert "the model decided 67% of the scenarios; 33% fell back" in result.output
    run = EvalResultV1.model_validate_json(out.read_text())
    _assert_plumbing(run)
    overall = run.metrics.overall
    assert (overall.model_used_rate, overall.fallback_rate) == (0.6667, 0.3333)  # rounded


def test_the_gate_fails_when_the_model_was_absent_too_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = _cli_llm(tmp_path / "a", monkeypatch)
    assert refused.exit_code == 1, refused.output
    assert "the LLM was absent: 33% of the scenarios fell back" in refused.output
    assert _cli_llm(tmp_path / "b", monkeypatch, "--max-fallback", "0.4").exit_code == 0


def test_one_scenarios_failures_do_not_open_the_breaker_for_the_next(
    tiny_suite: Suite, tmp_path: Path
) -> None:
    def down(request: StubRequest) -> StubReply:
        return StubReply(status=500, content="the model server is down")

    with LLMStub(script=down) as stub:
        llm = LLMConfig(
            base_url=stub.base_url,
            model="stub-model",
            api_key=SecretStr("x"),
            max_attempts=1,
            breaker_failures=1,
        )
        config = AgentConfig(data_dir=tmp_path, llm=llm)
        env = build_environment(
            config, mode="llm", playbooks=DEMO_DIR / "playbooks", workdir=tmp_path
        )
        result = asyncio.run(run_and_close(env, tiny_suite))
        asked = len(stub.requests)
    assert {s.got.mode for s in result.scenarios if s.got} == {"fallback_rules"}
    assert asked >= len(result.scenarios)  # each asked afresh: no breaker left open before it

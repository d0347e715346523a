"""The compatibility report's own parts: why decisions fell back, and the rows it writes.

The harness itself needs a real llama-cpp-python server and runs on demand
(``make llm-compat``); these tests read results the way it does."""

from __future__ import annotations

from pydantic import SecretStr

from agent.config import LLMConfig
from agent.llm.probe import ModeResult, ProbeResult
from evals.llm_compat import ModelSpec, _markdown, _modes, _row, fallback_reason
from evals.result import ScenarioResult
from tests.evals.builders import scenario
from tests.factories import NOW


def decided(sid: str, mode: str, reason: str, *, kind: str = "decision") -> ScenarioResult:
    base = scenario(sid, mode=mode, latency=1000.0 * (1 + len(sid)))
    assert base.got is not None
    got = base.got.model_copy(update={"mode_reason": reason})
    return base.model_copy(update={"got": got, "kind": kind})


def test_fallbacks_are_told_apart_by_what_failed() -> None:
    said = {
        "LLM unavailable (server_error): the rules planner decided": "server_error",
        "LLM unavailable during repair (deadline) after: x": "deadline",
        "LLM repair failed (p1 denied by consent): the rules planner decided": (
            "unusable_proposals"
        ),
        "something new": "other",
    }
    assert {reason: fallback_reason(reason) for reason in said} == said


def test_a_row_counts_model_decisions_protocol_fallbacks_and_kept_narratives() -> None:
    results = [
        decided("a", "llm", "LLM planner: 1 proposal(s)"),
        decided("bb", "llm_repaired", "LLM planner, repaired after: x"),
        decided("ccc", "fallback_rules", "LLM unavailable (client_error): the rules decided"),
        decided("dddd", "fallback_rules", "LLM repair failed (nothing usable): rules"),
        decided("e", "llm", "LLM planner: 1 proposal(s)", kind="briefing"),
        decided(
            "f",
            "llm",
            "LLM planner: 1 proposal(s); narrative: template (rejected: sentence 1 cites nothing)",
            kind="briefing",
        ),
    ]
    llm = LLMConfig(
        base_url="http://127.0.0.1:1/v1",
        model="local",
        api_key=SecretStr("x"),
        tool_choice="named",
        deadline_s=30,
    )
    spec = ModelSpec(name="Tiny 1M", path="/m.gguf", chat_format=None)

    row = _row(spec, llm, results)

    assert (row.decisions, row.model_decided, row.tool_choice) == (6, 0.667, "named")
    assert row.fallbacks == {"client_error": 1, "unusable_proposals": 1}
    assert row.protocol_fallbacks == 1
    assert row.narratives == "1/2 (template: rejected 1)"
    assert row.latency_p95_ms >= row.latency_p50_ms > 0
    table = _markdown([row])
    assert "| llama-cpp-python | Tiny 1M | `named` | 67% of 6 | client_error 1, " in table


def test_by_default_the_recommended_mode_and_the_json_plan_are_run() -> None:
    def probed(*working: str) -> ProbeResult:
        modes = [
            ModeResult(mode=m, ok=m in working, detail="", latency_ms=1.0)
            for m in ("required", "named", "auto", "none")
        ]
        return ProbeResult(base_url="u", model="m", probed_at=NOW, modes=modes)

    assert _modes(probed("named", "auto", "none"), []) == ["named", "none"]
    assert _modes(probed("required", "auto"), []) == ["required"]
    assert _modes(probed("named", "auto", "none"), ["auto", "required"]) == ["auto"]

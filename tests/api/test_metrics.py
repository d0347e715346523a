"""GET /metrics through HTTP: Prometheus can parse it, and it counts what was decided, what the
guards said and how long each step took; an LLM decision adds its calls and tokens."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from agent.llm.models import LLMCallTrace, LLMUsage
from agent.metrics import observe, observe_breaker
from agent.service import Decider

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _samples(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_decision_is_counted_with_its_verdicts_and_step_times(client: TestClient) -> None:
    before = _samples(client)
    decided = client.post("/v1/decide", json={"customer_id": "c13_amehta"})
    assert decided.status_code == 200, decided.text
    body = decided.json()
    after = _samples(client)

    labels = {
        "kind": "decision",
        "action": body["action"]["type"],
        "mode": "rules",
        "outcome": _chosen_outcome(client, body["decision_id"]),
    }
    name = "nextbest_decisions_total"
    assert _value(after, name, **labels) == _value(before, name, **labels) + 1
    verdict = body["verdicts"][0]
    counted = {
        "policy": verdict["policy_id"],
        "outcome": verdict["outcome"],
        "reason_code": verdict["reason_code"],
    }
    assert _value(after, "nextbest_guard_verdicts_total", **counted) > _value(
        before, "nextbest_guard_verdicts_total", **counted
    )
    for node in ("load_context", "retrieve", "guard"):
        count = "nextbest_node_seconds_count"
        assert _value(after, count, node=node) == _value(before, count, node=node) + 1


def _chosen_outcome(client: TestClient, decision_id: str) -> str:
    return str(client.get(f"/v1/decisions/{decision_id}").json()["chosen"]["outcome"])


def test_llm_calls_tokens_and_retries_are_counted(client: TestClient, decider: Decider) -> None:
    decided = client.post("/v1/decide", json={"customer_id": "c06_lmartin"}).json()
    record = asyncio.run(decider.get_decision(decided["decision_id"]))
    before = _samples(client)
    call = LLMCallTrace(
        purpose="plan",
        model="stub-model",
        latency_ms=310.0,
        attempts=3,
        usage=LLMUsage(prompt_tokens=1200, completion_tokens=80, total_tokens=1280),
        prompt_version="p-000000000000",
        outcome="ok",
    )
    observe(record.model_copy(update={"mode": "llm", "llm_calls": [call]}))
    after = _samples(client)
    calls = {"purpose": "plan", "outcome": "ok"}
    assert (
        _value(after, "nextbest_llm_calls_total", **calls)
        == _value(before, "nextbest_llm_calls_total", **calls) + 1
    )
    for kind, tokens in (("prompt", 1200), ("completion", 80)):
        name = "nextbest_llm_tokens_total"
        assert _value(after, name, kind=kind) == _value(before, name, kind=kind) + tokens
    retries = "nextbest_llm_retries_total"
    assert _value(after, retries) == _value(before, retries) + 2


def test_metrics_refuse_unknown_query_parameters(client: TestClient) -> None:
    response = client.get("/metrics", params={"format": "json"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "query.format"


def test_with_a_shared_directory_every_workers_figures_add_up(tmp_path: Path) -> None:
    """Two worker processes count; a third exposes the sum (the client's multiprocess mode)."""
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from agent import metrics; metrics._SAFE_DEFAULTS.inc()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True)
    show = "from agent.metrics import exposition; print(exposition().decode())"
    shown = subprocess.run(
        [sys.executable, "-c", show], env=env, check=True, capture_output=True, text=True
    ).stdout
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(shown)
        for sample in family.samples
    }
    assert values["nextbest_safe_defaults_total"] == 2.0


def test_each_kind_of_llm_call_shows_its_breaker(client: TestClient) -> None:
    observe_breaker({"plan": "open", "narrative": "closed", "repair": "half_open"})

    samples = _samples(client)

    def breaker(purpose: str) -> float:
        return samples[("nextbest_llm_breaker_open", frozenset({("purpose", purpose)}))]

    assert (breaker("plan"), breaker("narrative"), breaker("repair")) == (1.0, 0.0, 1.0)

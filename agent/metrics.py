"""Prometheus metrics: what the service decided, what the guards said, how long each step took,
and what the LLM cost, counted from each decision record as it is logged.

The metrics live in this module's own registry (not the client's global one), observed once per
logged decision by :func:`observe`, and exposed by the API at ``GET /metrics``. With several
worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by the workers:
:func:`exposition` then adds up every worker's figures (the client's multiprocess mode).
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from agent.llm.breaker import BreakerState
from agent.record import DecisionRecordV1

__all__ = ["CONTENT_TYPE", "REGISTRY", "exposition", "observe", "observe_breaker"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created only repeats start times
REGISTRY = CollectorRegistry(auto_describe=True)

_DECISIONS = Counter(
    "nextbest_decisions",
    "Decisions logged, by kind (decision, briefing), chosen action, planner mode and the "
    "guards' outcome for the chosen action (allow, modify, require_approval; deny only for a "
    "refused last-resort default).",
    ["kind", "action", "mode", "outcome"],
    registry=REGISTRY,
)
_SAFE_DEFAULTS = Counter(
    "nextbest_safe_defaults",
    "Decisions where no proposal survived the guards and a safe default was used.",
    registry=REGISTRY,
)
_VERDICTS = Counter(
    "nextbest_guard_verdicts",
    "Guard verdicts on every proposal, by policy, outcome and reason code.",
    ["policy", "outcome", "reason_code"],
    registry=REGISTRY,
)
_NODE_SECONDS = Histogram(
    "nextbest_node_seconds",
    "Seconds each step of the decision graph took (load_context, retrieve, plan, guard, ...).",
    ["node"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
_LLM_CALLS = Counter(
    "nextbest_llm_calls",
    "LLM calls, by purpose (plan, repair, narrative) and outcome (ok, rejected, or the error).",
    ["purpose", "outcome"],
    registry=REGISTRY,
)
_LLM_TOKENS = Counter(
    "nextbest_llm_tokens",
    "Tokens the LLM server reported, by kind (prompt, completion).",
    ["kind"],
    registry=REGISTRY,
)
_LLM_RETRIES = Counter(
    "nextbest_llm_retries",
    "HTTP attempts beyond the first, over all LLM calls.",
    registry=REGISTRY,
)
_BREAKER = Gauge(
    "nextbest_llm_breaker_open",
    "1 while the LLM circuit breaker of a kind of call (plan, repair, narrative) is open or "
    "half-open (its calls are refused or probing).",
    ["purpose"],
    registry=REGISTRY,
    multiprocess_mode="max",
)


def observe(record: DecisionRecordV1) -> None:
    """Count one logged decision (or briefing)."""
    chosen = record.chosen
    _DECISIONS.labels(record.kind, chosen.call.type.value, record.mode, chosen.outcome.value).inc()
    if record.safe_default:
        _SAFE_DEFAULTS.inc()
    verdicts = Tally(
        (verdict.policy_id, verdict.outcome.value, verdict.reason_code.value)
        for trace in record.proposals
        for verdict in trace.evaluation.verdicts
    )
    for labels, count in verdicts.items():  # one increment per label set, not per verdict
        _VERDICTS.labels(*labels).inc(count)
    for node, ms in record.timings_ms.items():
        _NODE_SECONDS.labels(node).observe(ms / 1000)
    for call in record.llm_calls:
        _LLM_CALLS.labels(call.purpose, call.outcome).inc()
        _LLM_TOKENS.labels("prompt").inc(call.usage.prompt_tokens)
        _LLM_TOKENS.labels("completion").inc(call.usage.completion_tokens)
        _LLM_RETRIES.inc(max(0, call.attempts - 1))


def observe_breaker(states: Mapping[str, BreakerState]) -> None:
    """The breakers' states, by kind of call."""
    for purpose, state in states.items():
        _BREAKER.labels(purpose).set(0 if state == "closed" else 1)


def exposition() -> bytes:
    """The metrics in Prometheus' text format: this process's, or every worker's when
    ``PROMETHEUS_MULTIPROC_DIR`` is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)

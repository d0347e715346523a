"""The decision graph: load_context → retrieve → plan → guard → arbitrate → [brief] → record.

LLM decisions whose proposals the guards all deny loop once through ``repair`` (the model sees
the denials) and then, if still nothing is permitted, through ``fallback`` (the rules planner).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.deps import Deps
from agent.graph import nodes, planning
from agent.graph.state import DecisionState, Kind
from agent.ids import new_id
from agent.privacy.redact import scrub_request
from agent.record import DecideRequest, DecisionRecordV1
from agent.tracing import DECISION_ID, tracer

__all__ = ["Decided", "DecisionGraph", "build_graph", "run_decision"]

DecisionGraph = CompiledStateGraph[DecisionState, Deps, DecisionState, DecisionState]


def _after_arbitrate(state: DecisionState) -> str:
    return "brief" if state["kind"] == "briefing" else "record"


def build_graph() -> DecisionGraph:
    graph: StateGraph[DecisionState, Deps, DecisionState, DecisionState] = StateGraph(
        DecisionState, context_schema=Deps
    )
    graph.add_node("load_context", nodes.load_context)
    graph.add_node("retrieve", nodes.retrieve)
    graph.add_node("plan", planning.plan)
    graph.add_node("guard", nodes.guard)
    graph.add_node("repair", planning.repair)
    graph.add_node("fallback", planning.fallback)
    graph.add_node("arbitrate", nodes.arbitrate)
    graph.add_node("brief", nodes.brief)
    graph.add_node("record", nodes.record)
    graph.add_edge(START, "load_context")
    graph.add_edge("load_context", "retrieve")
    graph.add_edge("retrieve", "plan")
    graph.add_edge("plan", "guard")
    graph.add_conditional_edges("guard", planning.after_guard, ["arbitrate", "repair", "fallback"])
    graph.add_edge("repair", "guard")
    graph.add_edge("fallback", "guard")
    graph.add_conditional_edges("arbitrate", _after_arbitrate, ["brief", "record"])
    graph.add_edge("brief", "record")
    graph.add_edge("record", END)
    return graph.compile()


@dataclass(frozen=True, slots=True)
class Decided:
    stored: DecisionRecordV1
    """As the log holds it: identities tokenized, free text scrubbed."""
    shown: DecisionRecordV1
    """As made, for the caller."""


async def run_decision(
    graph: DecisionGraph,
    deps: Deps,
    request: DecideRequest,
    *,
    kind: Kind,
    idempotency_key: str | None,
    fingerprint: str,
    caller: str | None = None,
) -> Decided:
    """Run one decision through the graph; the record is written before this returns."""
    now = deps.clock()
    budget = deps.config.llm.deadline_s if deps.config.llm is not None else math.inf
    initial: dict[str, Any] = {
        "request": scrub_request(request),
        "kind": kind,
        "decision_id": new_id("dec", ms=int(now.timestamp() * 1000)),
        "now": now,
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "caller": caller,
        "deadline": deps.monotonic() + budget,
        "llm_calls": [],
        "timings_ms": {},
    }
    attributes = {DECISION_ID: initial["decision_id"], "nextbest.kind": kind}
    with tracer.start_as_current_span("nextbest.decide", attributes=attributes):
        final = await graph.ainvoke(initial, context=deps)  # type: ignore[call-overload]
    return Decided(stored=final["record"], shown=final["shown"])

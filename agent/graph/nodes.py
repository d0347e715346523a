"""The nodes of the decision graph. Each reads the state, does one step, returns its update.

Blocking work (SQLite, Chroma, ONNX) runs in worker threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, Protocol

from langgraph.runtime import Runtime

from agent.approvals.models import approval_id_for
from agent.arbitrate import answers_nothing, rank
from agent.briefing.compose import compose_briefing
from agent.briefing.narrative import write_narrative
from agent.deps import Deps
from agent.graph.context_loader import load
from agent.graph.retrieval import query_parts, query_vector
from agent.graph.state import DecisionState
from agent.planner.llm import PROMPT_VERSION
from agent.planner.proposal import Proposal
from agent.planner.rules import check_conditions
from agent.planner.safe_default import safe_defaults
from agent.playbooks.model import PlaybookHit
from agent.privacy.redact import redact_record
from agent.rationale import explain
from agent.record import DecisionRecordV1, PlaybookRef, ProposalTrace, RankedAction
from agent.tracing import DECISION_ID, tracer
from policies import PolicyContext, PolicyPack, evaluate

__all__ = ["arbitrate", "brief", "guard", "load_context", "record", "retrieve", "timed"]


class Node(Protocol):
    """What LangGraph calls: the state, and the run context as keyword ``runtime``."""

    __name__: str

    def __call__(
        self, state: DecisionState, *, runtime: Runtime[Deps]
    ) -> Awaitable[dict[str, Any]]: ...


def timed(name: str) -> Callable[[Node], Node]:
    """Adds the node's wall time to ``timings_ms``, and runs it in a span of its own."""

    def wrap(node: Node) -> Node:
        @wraps(node)
        async def run(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
            started = time.perf_counter()
            attributes = {DECISION_ID: state["decision_id"]}
            with tracer.start_as_current_span(f"nextbest.{name}", attributes=attributes):
                update = await node(state, runtime=runtime)
            update["timings_ms"] = {name: round((time.perf_counter() - started) * 1000, 3)}
            return update

        return run

    return wrap


@timed("load_context")
async def load_context(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    loaded = await asyncio.to_thread(load, runtime.context, state["request"], state["now"])
    return {
        "profile": loaded.profile,
        "profile_source": loaded.profile_source,
        "events": loaded.events,
        "signals": loaded.signals,
        "policy_context": loaded.policy_context,
        "activation": loaded.activation,
        "accounting": loaded.accounting,
        "reading": loaded.reading,
    }


@timed("retrieve")
async def retrieve(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    hits = await asyncio.to_thread(_nearest, runtime.context, state)
    return {"hits": check_conditions(hits, state["activation"])}


def _nearest(deps: Deps, state: DecisionState) -> list[PlaybookHit]:
    """A journey the caller states, or one the events imply, filters the playbooks. One that
    the words' intent implies does not: it is in the query already, and filtering by it would
    hide every right playbook whenever the words were misread (evals/retrieval: recall@3 0.86
    with that filter, 0.91 without).

    On an inbound contact the playbooks that list the intent of the customer's words are
    considered too, of any journey. An outbound decision serves the journey its caller names:
    words from days ago do not bring in another journey's playbooks."""
    context, signals = state["request"].context, state["signals"]
    parts = query_parts(context, state["reading"])
    derived = signals.journey.journey if signals.intent.name is None else None
    inbound = context.direction == "inbound"
    return deps.playbooks.candidates(
        query_vector(parts, deps.embedder),
        k=deps.config.playbooks_k,
        journey=context.journey or derived,
        channel=context.channel if inbound else None,
        segment=state["profile"].segment,
        intent=signals.intent.name if inbound else None,
    )


def trace_proposal(
    proposal_id: str, proposal: Proposal, policy_context: PolicyContext, pack: PolicyPack
) -> ProposalTrace:
    """A proposal as the record keeps it, with the guards' evaluation on ``policy_context``."""
    return ProposalTrace(
        proposal_id=proposal_id,
        call=proposal.call,
        playbook_id=proposal.playbook_id,
        playbook_version=proposal.playbook_version,
        rationale=proposal.rationale,
        propensity=proposal.propensity,
        value=proposal.value,
        lever=proposal.lever,
        source=proposal.source,
        evaluation=evaluate(proposal.call, policy_context, pack),
    )


@timed("guard")
async def guard(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    traces = [
        trace_proposal(f"p{i}", proposal, state["policy_context"], runtime.context.pack)
        for i, proposal in enumerate(state["proposals"], start=1)
    ]
    return {"traces": traces}


@timed("arbitrate")
async def arbitrate(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    context, signals, profile = state["request"].context, state["signals"], state["profile"]
    traces = list(state["traces"])
    ranking = rank(traces, signals, context, profile)
    is_default = answers_nothing(ranking.ranked, context)
    if is_default:
        unsure, hits = state.get("low_confidence"), state["hits"]
        if unsure is not None:
            why = f"low confidence ({unsure})"
        elif ranking.ranked:
            why = "nothing but doing nothing was proposed for a customer who reached out"
        else:
            why = "no proposal survived the guards" if traces else "no playbook applied"
        likely = hits[0].playbook.journey if unsure is not None and hits else None
        defaults = safe_defaults(context, signals, why, likely_journey=likely)
        for i, proposal in enumerate(defaults, start=1):
            policy_context, pack = state["policy_context"], runtime.context.pack
            traces.append(trace_proposal(f"default{i}", proposal, policy_context, pack))
            if traces[-1].evaluation.permitted:
                break
        ranking = rank(traces, signals, context, profile)
    chosen = ranking.ranked[0] if ranking.ranked else chosen_as_is(traces[-1])
    return {
        "traces": traces,
        "ranked": ranking.ranked,
        "chosen": chosen,
        "safe_default": is_default,
        "rationale": explain(chosen, traces, ranking.weights, safe_default=is_default),
    }


def chosen_as_is(trace: ProposalTrace) -> RankedAction:
    """The trace's action chosen as the guards left it, without a ranking: the last-resort
    default (a pack may refuse even doing nothing; the refusal is recorded as it is)."""
    return RankedAction(
        proposal_id=trace.proposal_id,
        call=trace.evaluation.call,
        score=0.0,
        probability=1.0,
        outcome=trace.evaluation.outcome,
        playbook_id=None,
    )


@timed("brief")
async def brief(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    briefing = compose_briefing(
        decision_id=state["decision_id"],
        now=state["now"],
        profile=state["profile"],
        events=state["events"],
        context=state["request"].context,
        signals=state["signals"],
        hits=state["hits"],
        traces=state["traces"],
        chosen=state["chosen"],
        open_cases=state["policy_context"].customer.open_cases,
    )
    deps = runtime.context
    if deps.llm is None or deps.config.llm is None or not deps.config.llm.narrative:
        return {"briefing": briefing}
    deadline = deps.monotonic() + deps.config.llm.narrative_deadline_s  # its own time
    briefing, trace, kept_template = await write_narrative(deps.llm, briefing, deadline=deadline)
    update: dict[str, Any] = {"briefing": briefing, "llm_calls": [trace] if trace else []}
    if kept_template is not None:
        update["mode_reason"] = f"{state['mode_reason']}; narrative: template ({kept_template})"
    return update


def build_record(state: DecisionState, deps: Deps, timings: dict[str, float]) -> DecisionRecordV1:
    request, chosen = state["request"], state["chosen"]
    calls = state.get("llm_calls", [])
    return DecisionRecordV1(
        decision_id=state["decision_id"],
        kind=state["kind"],
        created_at=state["now"],
        customer_id=state["profile"].customer_id,
        idempotency_key=state.get("idempotency_key"),
        request_fingerprint=state["fingerprint"],
        profile=state["profile"],
        events=state["events"],
        context=request.context,
        profile_source=state["profile_source"],
        signals=state["signals"],
        playbooks=[
            PlaybookRef(
                id=h.playbook.id,
                version=h.playbook.version,
                title=h.playbook.title,
                score=round(h.score, 4),
                conditions_met=h.conditions_met,
                condition_errors=h.condition_errors,
            )
            for h in state["hits"]
        ],
        proposals=state["traces"],
        planner_notes=state.get("notes", []),
        chosen=chosen,
        alternatives=state["ranked"][1:],
        approval_required=chosen.outcome == "require_approval",
        approval_id=(
            approval_id_for(state["decision_id"])
            if chosen.outcome == "require_approval" and state["kind"] == "decision"
            else None
        ),
        rationale=state["rationale"],
        safe_default=state["safe_default"],
        mode=state["mode"],
        mode_reason=state["mode_reason"],
        llm_calls=calls,
        fetched_events=state.get("fetched_events", []),
        model=calls[-1].model if calls else None,
        prompt_version=PROMPT_VERSION if calls else None,
        redactions=[f"llm_input:{path}" for path in state.get("redactions", [])],
        policy_pack_version=f"{deps.pack.id}@{deps.pack.version}",
        embedding_model=deps.embedder.model_id,
        timings_ms=timings,
        briefing=state.get("briefing"),
        accounting=state.get("accounting"),
        caller=state.get("caller"),
    )


async def record(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    """Append the record as it may be stored (identities tokenized, text scrubbed, sealed by
    the log); the caller gets the decision as made."""
    deps = runtime.context
    started = time.perf_counter()
    timings = dict(state.get("timings_ms", {}))
    timings["record"] = 0.0  # the append's own time cannot be inside the row it writes
    built = build_record(state, deps, timings)
    stored = await asyncio.to_thread(_store, deps, built)
    return {
        "record": stored,
        "shown": built,
        "timings_ms": {"record": round((time.perf_counter() - started) * 1000, 3)},
    }


def _store(deps: Deps, built: DecisionRecordV1) -> DecisionRecordV1:
    return deps.decisions.append(redact_record(built, deps.privacy.tokenizer))

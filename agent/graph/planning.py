"""The planning nodes: plan (rules or LLM), repair (LLM only, once), fallback (rules).

With no LLM configured, ``plan`` runs the rules planner and the graph goes on as always. With one,
the LLM proposes and its proposals are ranked beside the rules planner's (each proposal records
its source); the guard node judges; when nothing the LLM proposed is permitted, ``repair`` gives
it one more turn with the errors and denials; when that fails too, ``fallback`` lets the rules
planner decide. An endpoint error at any point falls back at once. The mode and its reason land
in the record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from langgraph.runtime import Runtime

from agent.deps import Deps
from agent.embeddings import calibrated
from agent.events import Event
from agent.graph.nodes import timed
from agent.graph.state import DecisionState
from agent.planner.llm import LLMPlan, PlanInput, plan_llm, repair_llm
from agent.planner.proposal import PlannerNote, Proposal
from agent.planner.rules import check_conditions, low_confidence, plan_rules
from agent.playbooks.model import PlaybookHit
from agent.profile import Case
from agent.record import ProposalTrace
from policies import precheck

__all__ = ["after_guard", "fallback", "plan", "repair"]

RULES_REASON = "rules planner: the embedded default (no LLM configured)"
FETCH_LOOKBACK = timedelta(days=90)
"""How far back the LLM's fetch_events reads the event store."""


@dataclass(frozen=True, slots=True)
class _StateLookup:
    """Read-only tools for the LLM, answered from this customer's stores and state only."""

    deps: Deps
    state: DecisionState
    fetched: dict[str, Event] = field(default_factory=dict)
    """Events fetched beyond those the decision loaded: recorded, so a replay sees them too."""

    async def search_playbooks(self, query: str) -> list[PlaybookHit]:
        hits = await asyncio.to_thread(
            self.deps.playbooks.search,
            query,
            k=self.deps.config.playbooks_k,
            segment=self.state["profile"].segment,
        )
        return check_conditions(hits, self.state["activation"])

    async def fetch_events(self, limit: int, event_type: str | None) -> list[Event]:
        events = {e.id: e for e in self.state["events"]}
        if self.state["profile_source"] == "store":
            stored = await asyncio.to_thread(
                self.deps.customers.recent_events,
                self.state["profile"].customer_id,
                since=self.state["now"] - FETCH_LOOKBACK,
                limit=self.deps.config.max_events,
            )
            events.update({e.id: e for e in stored if e.id not in events})
        newest = sorted(events.values(), key=lambda e: (e.ts, e.id), reverse=True)
        found = [e for e in newest if event_type in (None, e.type)][:limit]
        loaded = {e.id for e in self.state["events"]}
        self.fetched.update({e.id: e for e in found if e.id not in loaded})
        return found

    def fetch_case(self, case_id: str) -> Case | None:
        return next((c for c in self.state["profile"].open_cases if c.id == case_id), None)


def _rules(
    state: DecisionState,
    deps: Deps,
    mode: Literal["rules", "llm", "fallback_rules"],
    reason: str,
    earlier: Mapping[str, Any],
) -> dict[str, Any]:
    """The rules planner's proposals after any the LLM made (so the record keeps those), unless
    they are among them already (an LLM decision ranks them beside its own)."""
    before: list[Proposal] = earlier.get("proposals", [])
    proposals: list[Proposal] = []
    notes: list[PlannerNote] = []
    if not any(p.source == "rules" for p in before):
        proposals, notes = plan_rules(
            state["hits"],
            activation=state["activation"],
            profile=state["profile"],
            signals=state["signals"],
            context=state["request"].context,
            now=state["now"],
            calibration=calibrated(deps.embedder.model_id),
            open_cases=state["policy_context"].customer.open_cases,
        )
    made = {p.call.model_dump_json() for p in before}  # the same call twice adds nothing
    return {
        "proposals": [*before, *(p for p in proposals if p.call.model_dump_json() not in made)],
        "notes": [*earlier.get("notes", []), *notes],
        "mode": mode,
        "mode_reason": reason,
    }


def _llm_update(state: DecisionState, result: LLMPlan) -> dict[str, Any]:
    return {
        "proposals": [*state.get("proposals", []), *result.proposals],
        "notes": [*state.get("notes", []), *result.notes],
        "llm_calls": result.calls,
        "llm_session": result.session,
    }


def _denial(trace: ProposalTrace) -> str:
    denials = "; ".join(
        f"{v.policy_id} ({v.reason_code.value}): {v.message}" for v in trace.evaluation.denials
    )
    return f"denied by {denials}"


def _last_turn(state: DecisionState) -> tuple[list[str], dict[str, str]]:
    """What was wrong with the model's last turn: its problems, and per proposal the denials."""
    session = state.get("llm_session")
    if session is None:
        return [], {}
    asked = {o.proposal_id for o in session.outcomes if o.proposal_id}
    denials = {t.proposal_id: _denial(t) for t in state["traces"] if t.proposal_id in asked}
    return list(session.problems), denials


def _summary(problems: list[str], denials: Mapping[str, str]) -> str:
    text = "; ".join([*problems, *(f"{pid} {why}" for pid, why in denials.items())])
    return text[:300] or "nothing usable was proposed"


def _unsure(state: DecisionState, why: str) -> dict[str, Any]:
    """No planner: the contact is not understood well enough to act on any playbook, so the
    safe default (a person, on the live channel) takes it."""
    note = PlannerNote(playbook_id="*", action_type="*", note=f"low confidence: {why}")
    return {
        "proposals": [],
        "notes": [note],
        "mode": "rules",
        "mode_reason": f"low confidence: {why}; no playbook is acted on",
        "low_confidence": why,
    }


@timed("plan")
async def plan(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps = runtime.context
    calibration = calibrated(deps.embedder.model_id)
    context = state["request"].context
    why = low_confidence(state["hits"], state["signals"], context, calibration)
    if why is not None:
        return _unsure(state, why)
    if deps.llm is None or deps.config.llm is None:
        return _rules(state, deps, "rules", RULES_REASON, {})
    plan_input = PlanInput(
        profile=state["profile"],
        signals=state["signals"],
        events=state["events"],
        context=state["request"].context,
        hits=state["hits"],
        precheck=precheck(state["policy_context"], deps.pack),
        now=state["now"],
        calibration=calibration,
    )
    lookup = _StateLookup(deps, state)
    result = await plan_llm(
        deps.llm,
        plan_input,
        lookup,
        max_rounds=deps.config.llm.max_tool_rounds,
        deadline=state["deadline"],
    )
    update = {
        **_llm_update(state, result),
        "redactions": result.redactions,
        "fetched_events": sorted(lookup.fetched.values(), key=lambda e: (e.ts, e.id)),
    }
    if result.error is not None:
        reason = f"LLM unavailable ({result.error.value}): the rules planner decided"
        return {**update, **_rules(state, deps, "fallback_rules", reason, update)}
    count = len(result.proposals)
    reason = f"LLM planner: {count} proposal(s), ranked beside the rules planner's"
    return {**update, **_rules(state, deps, "llm", reason, update)}


@timed("repair")
async def repair(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    deps, session = runtime.context, state.get("llm_session")
    if deps.llm is None or session is None:  # the router sends only LLM decisions here
        return _rules(state, deps, "fallback_rules", "repair without an LLM session", state)
    problems, denials = _last_turn(state)
    result = await repair_llm(
        deps.llm,
        session,
        denials,
        deadline=state["deadline"],
        first_index=len(state["proposals"]) + 1,
    )
    update = _llm_update(state, result)
    first = _summary(problems, denials)
    if result.error is not None:
        reason = f"LLM unavailable during repair ({result.error.value}) after: {first}"
        return {**update, **_rules(state, deps, "fallback_rules", reason, update)}
    return {
        **update,
        "mode": "llm_repaired",
        "mode_reason": f"LLM planner, repaired after: {first}",
    }


@timed("fallback")
async def fallback(state: DecisionState, *, runtime: Runtime[Deps]) -> dict[str, Any]:
    reason = f"LLM repair failed ({_summary(*_last_turn(state))}): the rules planner decided"
    return _rules(state, runtime.context, "fallback_rules", reason, state)


def after_guard(state: DecisionState) -> Literal["arbitrate", "repair", "fallback"]:
    """LLM proposals of which none is permitted get one repair, then the rules planner."""
    mode = state["mode"]
    if mode in ("rules", "fallback_rules"):
        return "arbitrate"
    if any(t.evaluation.permitted for t in state["traces"] if t.source == "llm"):
        return "arbitrate"
    return "repair" if mode == "llm" else "fallback"

"""The rules planner: playbook conditions and signals in, scored typed proposals out.

Deterministic and explainable; the embedded default, and the fallback of the LLM planner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import cel
from pydantic import ValidationError

from agent.context import RequestContext
from agent.planner.defaults import fill_defaults
from agent.planner.proposal import PlannerNote, Proposal
from agent.playbooks.conditions import evaluate_conditions
from agent.playbooks.model import PlaybookHit
from agent.profile import Profile
from agent.signals.models import Signals
from tools import parse_action

__all__ = ["check_conditions", "fit", "plan_rules"]

_FULL_MATCH_SCORE = 0.6
"""A cosine similarity at which retrieval alone counts as a full fit."""

RELATIVE_FLOOR = 0.75
"""Playbooks much less similar than the best one retrieved are noise, not options, unless
their own conditions target this customer (a condition that holds is stronger evidence)."""


def check_conditions(
    hits: Sequence[PlaybookHit], activation: Mapping[str, object]
) -> list[PlaybookHit]:
    """Each hit with its playbook's CEL conditions evaluated for this customer and moment."""
    checked = []
    context = cel.Context(dict(activation))  # converted once for every playbook's conditions
    for hit in hits:
        met, errors = evaluate_conditions(hit.playbook.conditions, context)
        checked.append(hit.model_copy(update={"conditions_met": met, "condition_errors": errors}))
    return checked


def fit(hit: PlaybookHit, signals: Signals) -> float:
    """How well a playbook fits: retrieval similarity, plus agreement with journey and intent."""
    score = min(1.0, max(0.0, hit.score) / _FULL_MATCH_SCORE)
    if signals.journey.journey is not None and hit.playbook.journey == signals.journey.journey:
        score += 0.2
    if signals.intent.name is not None and signals.intent.name in hit.playbook.intents:
        score += 0.2
    return min(1.0, score)


def plan_rules(
    hits: Sequence[PlaybookHit],
    *,
    activation: Mapping[str, object],
    profile: Profile,
    signals: Signals,
    context: RequestContext,
    now: datetime,
) -> tuple[list[Proposal], list[PlannerNote]]:
    """One proposal per applicable recommended action of each playbook whose conditions hold."""
    proposals: list[Proposal] = []
    notes: list[PlannerNote] = []
    seen: set[str] = set()
    floor = RELATIVE_FLOOR * max((h.score for h in hits), default=0.0)
    for hit in hits:
        playbook = hit.playbook
        if hit.score < floor and not (playbook.conditions and hit.conditions_met):
            note = f"weak match: similarity {hit.score:.2f} below {floor:.2f}"
            notes.append(PlannerNote(playbook_id=playbook.key, action_type="*", note=note))
            continue
        if not hit.conditions_met:
            reason = "; ".join(hit.condition_errors) or "conditions not met"
            notes.append(PlannerNote(playbook_id=playbook.key, action_type="*", note=reason))
            continue
        playbook_fit = fit(hit, signals)
        for action in playbook.actions:
            if action.when is not None:
                met, errors = evaluate_conditions([action.when], dict(activation))
                if not met:
                    note = "; ".join(errors) or f"when not met: {action.when}"
                    notes.append(
                        PlannerNote(playbook_id=playbook.key, action_type=action.type, note=note)
                    )
                    continue
            args = fill_defaults(action.type, action.args, profile, context, now)
            try:
                call = parse_action({"type": action.type, "args": args})
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                notes.append(
                    PlannerNote(playbook_id=playbook.key, action_type=action.type, note=problems)
                )
                continue
            identity = call.model_dump_json()
            if identity in seen:  # the same call from a weaker playbook adds nothing
                continue
            seen.add(identity)
            proposals.append(
                Proposal(
                    call=call,
                    playbook_id=playbook.id,
                    playbook_version=playbook.version,
                    rationale=(
                        f"{playbook.title} (fit {playbook_fit:.2f}, similarity {hit.score:.2f})"
                    ),
                    propensity=round(action.weight * playbook_fit, 4),
                    value=action.value,
                    lever=playbook.priority,
                )
            )
    return proposals, notes

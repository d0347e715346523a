"""The rules planner: playbook conditions and signals in, scored typed proposals out.

Deterministic and explainable; the embedded default, and the fallback of the LLM planner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import cel
from pydantic import ValidationError

from agent.context import RequestContext
from agent.embeddings import Calibration
from agent.planner.defaults import fill_defaults
from agent.planner.proposal import PlannerNote, Proposal
from agent.playbooks.conditions import evaluate_conditions
from agent.playbooks.model import Playbook, PlaybookHit
from agent.profile import Profile
from agent.signals.models import Signals
from policies import CaseFact
from tools import ActionCall, ActionType, OpenCase, UpdateCase, UpdateCaseArgs, parse_action

__all__ = [
    "SELF_SERVICE",
    "answers_one_reading",
    "check_conditions",
    "fit",
    "low_confidence",
    "plan_rules",
    "two_readings",
    "update_instead",
]

SELF_SERVICE = frozenset({ActionType.SEND_MESSAGE, ActionType.RECOMMEND_ARTICLE})
"""Actions that answer the customer with no person in the loop."""

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


def low_confidence(
    hits: Sequence[PlaybookHit],
    signals: Signals,
    context: RequestContext,
    calibration: Calibration,
) -> str | None:
    """Why an inbound contact is not understood well enough to act on a playbook, or None.

    A person (or a clarifying question) serves such a contact better than the nearest playbook:
    nothing in the words names an intent and no journey is known, or no playbook matches them
    at least ``calibration.weak_match``.
    """
    if context.direction != "inbound":
        return None
    if signals.intent.name is None and signals.journey.journey is None:
        return "no intent recognised in the customer's words and no journey known"
    best = max((h.score for h in hits), default=0.0)
    if best < calibration.weak_match:
        return f"the closest playbook matches at {best:.2f}, below {calibration.weak_match:.2f}"
    return None


def two_readings(
    signals: Signals, context: RequestContext, calibration: Calibration
) -> tuple[str, str] | None:
    """The two intents an inbound contact's words fit almost equally (within
    ``calibration.ambiguous_margin``), best first; None when one reading stands out."""
    candidates = signals.intent.candidates
    if context.direction != "inbound" or signals.intent.name is None or len(candidates) < 2:
        return None
    (first, top), (second, runner_up) = candidates[:2]
    return (first, second) if top - runner_up < calibration.ambiguous_margin else None


def answers_one_reading(call: ActionCall, playbook: Playbook, readings: tuple[str, str]) -> bool:
    """A message or article from a playbook that does not serve both readings: sent on words
    we may have misread, it answers a question the customer did not ask."""
    return call.type in SELF_SERVICE and not set(readings) <= set(playbook.intents)


def fit(hit: PlaybookHit, signals: Signals, calibration: Calibration) -> float:
    """How well a playbook fits: retrieval similarity, plus agreement with journey and intent.
    A playbook selected by its conditions fits fully when they hold: they are its target."""
    if hit.playbook.selected_by == "conditions" and hit.conditions_met:
        return 1.0
    score = min(1.0, max(0.0, hit.score) / calibration.full_match)
    if signals.journey.journey is not None and hit.playbook.journey == signals.journey.journey:
        score += 0.2
    if signals.intent.name is not None and signals.intent.name in hit.playbook.intents:
        score += 0.2
    return min(1.0, score)


def update_instead(call: ActionCall, open_cases: Sequence[CaseFact]) -> ActionCall:
    """An open_case of a type already open becomes an update of that case: the customer's
    story joins the case its owner already works on, and no second case competes with it."""
    if not isinstance(call, OpenCase):
        return call
    existing = next((c for c in open_cases if c.case_type == call.args.case_type), None)
    if existing is None:
        return call
    return UpdateCase(
        args=UpdateCaseArgs(
            case_id=existing.case_id,
            case_type=existing.case_type,
            note=call.args.summary,
            priority=None if call.args.priority == "normal" else call.args.priority,
        )
    )


def plan_rules(
    hits: Sequence[PlaybookHit],
    *,
    activation: Mapping[str, object],
    profile: Profile,
    signals: Signals,
    context: RequestContext,
    now: datetime,
    calibration: Calibration,
    open_cases: Sequence[CaseFact] = (),
) -> tuple[list[Proposal], list[PlannerNote]]:
    """One proposal per applicable recommended action of each playbook whose conditions hold
    and whose similarity clears the cut-offs.

    Where the customer said something, every playbook must match it at least
    ``calibration.min_relevance``: holding conditions do not make an unrelated playbook
    relevant. (Without words the query is only the journey's name, and the journey filter
    chose the playbooks.) Below ``RELATIVE_FLOOR`` of the best match, only a playbook whose own
    conditions target this customer stays an option. A playbook selected by its conditions
    skips both cut-offs: it acts whenever its conditions hold. A case of a type already open
    (``open_cases``) is updated rather than opened again. When the words fit two intents
    almost equally, a message or article that serves only one of them is held back: a person
    (the safe default, when nothing else is left) asks what the customer meant."""
    proposals: list[Proposal] = []
    notes: list[PlannerNote] = []
    readings = two_readings(signals, context, calibration)
    seen: set[str] = set()
    floor = RELATIVE_FLOOR * max((h.score for h in hits), default=0.0)
    worded = bool(signals.intent.candidates)  # the query holds the customer's words
    for hit in hits:
        playbook = hit.playbook
        by_conditions = playbook.selected_by == "conditions"  # they alone decide (below)
        if worded and not by_conditions and hit.score < calibration.min_relevance:
            note = (
                f"unrelated: similarity {hit.score:.2f} below the cut-off "
                f"{calibration.min_relevance:.2f}"
            )
            notes.append(PlannerNote(playbook_id=playbook.key, action_type="*", note=note))
            continue
        if hit.score < floor and not (playbook.conditions and hit.conditions_met):
            note = f"weak match: similarity {hit.score:.2f} below {floor:.2f}"
            notes.append(PlannerNote(playbook_id=playbook.key, action_type="*", note=note))
            continue
        if not hit.conditions_met:
            reason = "; ".join(hit.condition_errors) or "conditions not met"
            notes.append(PlannerNote(playbook_id=playbook.key, action_type="*", note=reason))
            continue
        playbook_fit = fit(hit, signals, calibration)
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
                call = update_instead(parse_action({"type": action.type, "args": args}), open_cases)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                notes.append(
                    PlannerNote(playbook_id=playbook.key, action_type=action.type, note=problems)
                )
                continue
            if readings is not None and answers_one_reading(call, playbook, readings):
                note = "held back: the words fit {} and {} almost equally".format(*readings)
                notes.append(
                    PlannerNote(playbook_id=playbook.key, action_type=call.type, note=note)
                )
                continue
            identity = call.model_dump_json()
            if identity in seen:  # the same call from a weaker playbook adds nothing
                continue
            seen.add(identity)
            rationale = f"{playbook.title} (fit {playbook_fit:.2f}, similarity {hit.score:.2f})"
            if call.type != action.type:
                rationale += f"; {call.plain()}, not a second case"
            proposals.append(
                Proposal(
                    call=call,
                    playbook_id=playbook.id,
                    playbook_version=playbook.version,
                    rationale=rationale,
                    propensity=round(action.weight * playbook_fit, 4),
                    value=action.value,
                    lever=playbook.priority,
                )
            )
    return proposals, notes

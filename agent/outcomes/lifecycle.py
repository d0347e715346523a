"""A decision's life after the response, derived from its outcome rows and the clock. Pure.

``recommended`` → ``executed`` | ``declined`` | ``expired``: a report that implies the action
was carried out makes it executed; ``declined`` makes it declined; with neither, it is
recommended until the reservation TTL passes, then expired. A late ``executed`` report still
makes an expired decision executed.

Outcomes the customer's behaviour implies are derived here too, from the follow-ups the store
found (the same predicates the KPI queries use):

- ``repeat_contact``: an inbound contact followed, within ``repeat_contact_days``, by another
  inbound contact of the same customer on the same topic (intent, else journey), in another
  interaction;
- ``transferred``: a ``transfer`` event within ``transfer_window_minutes`` of an inbound
  contact or a handoff;
- ``no_response``: an executed action with no reported response when its action type's window
  closes (counted from when the action takes effect);
- first-contact resolution: an inbound contact whose repeat window closed with no repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.config import OutcomeConfig
from agent.outcomes.models import (
    EXECUTION_TYPES,
    RESPONSE_TYPES,
    DecisionState,
    DerivedOutcome,
    DerivedType,
    Lifecycle,
    OutcomeRecordV1,
    OutcomeType,
)
from tools import ActionType

__all__ = ["DecisionFacts", "Followups", "conflict", "lifecycle", "state_of"]


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    """What the lifecycle needs to know of a logged decision."""

    decision_id: str
    customer_id: str
    kind: str
    created_at: datetime
    effective_at: datetime
    action_type: ActionType
    direction: str
    topic: str | None
    is_contact: bool
    """An inbound decision (not a briefing) with a topic, first of its interaction."""


@dataclass(frozen=True, slots=True)
class Followups:
    """What happened after a decision that implies an outcome (found by the store)."""

    repeat: tuple[str, datetime] | None = None
    """The first later contact on the same topic within the repeat window: (decision id, ts)."""
    transfers: tuple[tuple[str, datetime], ...] = ()
    """Transfer events within the transfer window: (event id, ts)."""
    executed_by_event: tuple[str, datetime] | None = None
    """The first accounting event that names this decision: (event id, ts)."""


def conflict(
    facts: DecisionFacts, earlier: Sequence[OutcomeRecordV1], new_type: OutcomeType, ts: datetime
) -> str | None:
    """Why a new report contradicts the decision or what was reported before; None if not."""
    if ts < facts.created_at:
        return (
            f"an outcome dated {ts.isoformat()} is before its decision "
            f"({facts.created_at.isoformat()})"
        )
    for old in earlier:
        problem = _contradiction(old, new_type)
        if problem is not None:
            return f"{problem} (outcome {old.outcome_id!r})"
    return None


_EXCLUSIVE = {
    frozenset({OutcomeType.ACCEPTED, OutcomeType.REJECTED}),
    frozenset({OutcomeType.CONVERTED, OutcomeType.REJECTED}),
}


def _contradiction(old: OutcomeRecordV1, new: OutcomeType) -> str | None:
    if old.type is OutcomeType.DECLINED and new in EXECUTION_TYPES:
        return f"the decision was reported declined, so it cannot be {new}"
    if new is OutcomeType.DECLINED and old.type in EXECUTION_TYPES:
        return f"the decision was reported {old.type}, so it cannot be declined"
    if old.type is new and new is not OutcomeType.CONVERTED:
        return f"{new} was already reported; re-send that outcome's id to replay it"
    if frozenset({old.type, new}) in _EXCLUSIVE:
        return f"{new} contradicts the {old.type} reported before"
    if new is OutcomeType.NO_RESPONSE and old.type in RESPONSE_TYPES:
        return f"the customer responded ({old.type}), so it cannot be no_response"
    return None


def state_of(
    created_at: datetime,
    outcomes: Sequence[OutcomeRecordV1],
    now: datetime,
    config: OutcomeConfig,
    *,
    linked_execution: datetime | None = None,
) -> DecisionState:
    """The state as of ``now``; ``linked_execution`` is when an event that names the decision
    reported it carried out."""
    if linked_execution is not None or any(o.type in EXECUTION_TYPES for o in outcomes):
        return DecisionState.EXECUTED
    if any(o.type is OutcomeType.DECLINED for o in outcomes):
        return DecisionState.DECLINED
    if now < created_at + timedelta(seconds=config.reservation_ttl_s):
        return DecisionState.RECOMMENDED
    return DecisionState.EXPIRED


def _response_window(facts: DecisionFacts, config: OutcomeConfig) -> datetime | None:
    days = config.response_windows_days.get(facts.action_type)
    return None if days is None else facts.effective_at + timedelta(days=days)


def lifecycle(
    facts: DecisionFacts,
    outcomes: Sequence[OutcomeRecordV1],
    followups: Followups,
    now: datetime,
    config: OutcomeConfig,
) -> Lifecycle:
    """The state, the reported and the derived outcomes of one decision as of ``now``."""
    linked = followups.executed_by_event
    state = state_of(
        facts.created_at,
        outcomes,
        now,
        config,
        linked_execution=None if linked is None else linked[1],
    )
    window_closes = _response_window(facts, config)
    derived: list[DerivedOutcome] = []
    reported = {o.type for o in outcomes}
    if (
        state is DecisionState.EXECUTED
        and window_closes is not None
        and now >= window_closes
        and not reported & (RESPONSE_TYPES | {OutcomeType.NO_RESPONSE})
    ):
        derived.append(
            DerivedOutcome(
                type=DerivedType.NO_RESPONSE,
                ts=window_closes,
                evidence=f"no response reported by {window_closes.isoformat()}",
            )
        )
    if facts.is_contact and followups.repeat is not None:
        repeat_id, repeat_ts = followups.repeat
        derived.append(
            DerivedOutcome(
                type=DerivedType.REPEAT_CONTACT,
                ts=repeat_ts,
                evidence=f"decision {repeat_id} on {facts.topic}",
            )
        )
    transferable = facts.is_contact or facts.action_type is ActionType.HANDOFF_TO_AGENT
    if transferable and followups.transfers:
        event_id, ts = followups.transfers[0]
        derived.append(
            DerivedOutcome(type=DerivedType.TRANSFERRED, ts=ts, evidence=f"event {event_id}")
        )
    return Lifecycle(
        state=state,
        as_of=now,
        outcomes=sorted(outcomes, key=lambda o: (o.ts, o.recorded_at)),
        derived=sorted(derived, key=lambda d: d.ts),
        reservation_expires_at=(
            facts.created_at + timedelta(seconds=config.reservation_ttl_s)
            if facts.kind == "decision"
            else None
        ),
        response_window_closes_at=window_closes,
        first_contact_resolution=_fcr(facts, followups, now, config),
    )


def _fcr(
    facts: DecisionFacts, followups: Followups, now: datetime, config: OutcomeConfig
) -> bool | None:
    if not facts.is_contact:
        return None
    if followups.repeat is not None:
        return False
    closed = now >= facts.created_at + timedelta(days=config.repeat_contact_days)
    return True if closed else None

"""The queryable columns of a decision row, derived from its record once, at insert time.

History queries (contact caps, incentive budgets) read these columns and never the JSON body,
so what counts as a contact or an incentive is decided here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from agent.record import DecisionRecordV1
from agent.stores.sqlite import to_micros
from policies.verdict import Outcome
from tools import (
    CATALOG,
    ActionCall,
    ApplyGoodwillCredit,
    OfferIncentive,
    OpenCase,
    ScheduleCallback,
    SendMessage,
)

__all__ = [
    "GOODWILL_CREDIT_KIND",
    "DecisionColumns",
    "VerdictRow",
    "columns_of",
    "effective_at",
    "verdict_rows",
]

GOODWILL_CREDIT_KIND = "goodwill_credit"
"""IncentiveFact.kind of an apply_goodwill_credit call."""


@dataclass(frozen=True, slots=True)
class DecisionColumns:
    decision_id: str
    customer_id: str
    created_at: str
    created_us: int
    kind: str
    action_type: str
    mode: str
    idempotency_key: str | None
    outcome: str
    approval_required: bool
    contacts_customer: bool
    channel: str | None
    purpose: str
    effective_us: int
    incentive_kind: str | None
    incentive_value: str | None
    incentive_currency: str | None
    # v2: what KPIs group and join by
    direction: str
    interaction_id: str | None
    journey: str | None
    intent: str | None
    topic: str | None
    """What a repeat contact must share: the intent when one was recognised, else the journey."""
    touch_channel: str | None
    """Where the touchpoint happened: the customer's channel when inbound, the action's else."""
    segment: str | None
    playbook_id: str | None
    effort_score: float
    safe_default: bool
    profile_source: str
    """store or inline: an inline decision never counts toward a stored customer's caps."""
    # v4 (PostgreSQL v2): which cases our decisions opened
    case_type: str | None
    """The case type of an open_case decision, else null."""


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """A guard verdict other than allow, for the denial KPIs."""

    decision_id: str
    created_us: int
    proposal_id: str
    action_type: str
    policy_id: str
    outcome: str
    reason_code: str


def effective_at(call: ActionCall, created_at: datetime) -> datetime:
    """When the call takes effect: its scheduled time when it has one, else the decision time."""
    if isinstance(call, SendMessage) and call.args.send_at is not None:
        return call.args.send_at
    if isinstance(call, ScheduleCallback):
        return call.args.at
    return created_at


def _incentive(call: ActionCall) -> tuple[str, Decimal, str | None] | None:
    if isinstance(call, OfferIncentive):
        return call.args.kind, call.args.value, call.args.currency
    if isinstance(call, ApplyGoodwillCredit):
        return GOODWILL_CREDIT_KIND, call.args.amount, call.args.currency
    return None


def columns_of(record: DecisionRecordV1) -> DecisionColumns:
    call = record.chosen.call
    channel = call.channel
    incentive = _incentive(call)
    context = record.context
    journey = context.journey or record.signals.journey.journey
    intent = record.signals.intent.name
    action_channel = None if channel is None else channel.value
    touch_channel = action_channel
    if context.direction == "inbound" and context.channel is not None:
        touch_channel = context.channel.value
    return DecisionColumns(
        decision_id=record.decision_id,
        customer_id=record.customer_id,
        created_at=record.created_at.astimezone(UTC).isoformat(),
        created_us=to_micros(record.created_at),
        kind=record.kind,
        action_type=call.type.value,
        mode=record.mode,
        idempotency_key=record.idempotency_key,
        outcome=record.chosen.outcome.value,
        approval_required=record.approval_required,
        contacts_customer=CATALOG[call.type].spec.contacts_customer and channel is not None,
        channel=action_channel,
        purpose=call.purpose.value,
        effective_us=to_micros(effective_at(call, record.created_at)),
        incentive_kind=None if incentive is None else incentive[0],
        incentive_value=None if incentive is None else str(incentive[1]),
        incentive_currency=None if incentive is None else incentive[2],
        direction=context.direction,
        interaction_id=context.interaction_id,
        journey=journey,
        intent=intent,
        topic=intent or journey,
        touch_channel=touch_channel,
        segment=record.profile.segment,
        playbook_id=record.chosen.playbook_id,
        effort_score=record.signals.effort.score,
        safe_default=record.safe_default,
        profile_source=record.profile_source,
        case_type=call.args.case_type if isinstance(call, OpenCase) else None,
    )


def verdict_rows(record: DecisionRecordV1) -> list[VerdictRow]:
    created_us = to_micros(record.created_at)
    return [
        VerdictRow(
            decision_id=record.decision_id,
            created_us=created_us,
            proposal_id=trace.proposal_id,
            action_type=trace.call.type.value,
            policy_id=verdict.policy_id,
            outcome=verdict.outcome.value,
            reason_code=verdict.reason_code.value,
        )
        for trace in record.proposals
        for verdict in trace.evaluation.verdicts
        if verdict.outcome is not Outcome.ALLOW
    ]

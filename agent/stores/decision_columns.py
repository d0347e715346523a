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
from tools import (
    CATALOG,
    ActionCall,
    ApplyGoodwillCredit,
    OfferIncentive,
    ScheduleCallback,
    SendMessage,
)

__all__ = ["GOODWILL_CREDIT_KIND", "DecisionColumns", "columns_of", "effective_at"]

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
        channel=None if channel is None else channel.value,
        purpose=call.purpose.value,
        effective_us=to_micros(effective_at(call, record.created_at)),
        incentive_kind=None if incentive is None else incentive[0],
        incentive_value=None if incentive is None else str(incentive[1]),
        incentive_currency=None if incentive is None else incentive[2],
    )

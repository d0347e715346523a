"""Contact accounting: which earlier contacts and spends the guards count, and where each came
from.

Caps, budgets and suppression count what was carried out, not what was recommended:

- a logged decision counts once it is reported executed (an ``executed`` outcome, any outcome
  that implies it, or a posted event that names it in ``properties.decision_id``);
- a decision with no report yet holds a *reservation* for ``reservation_ttl``, so two quick
  decisions cannot both spend the last contact; after it, it stops counting. Briefings are
  previews and reserve nothing. A declined decision never counts;
- a decision that waits for approval holds its reservation until the verdict; from then on
  the decision the approval released counts instead (``<decision_id>.released``);
- contacts, incentives and cases that other systems report as customer events count too
  (:data:`ACCOUNTING_EVENTS`). An event that names a logged decision is that decision's
  execution, counted once;
- a case is open from an ``open_case`` decision (executed, or reserved like a contact) or a
  ``case_opened`` event until a ``case_closed`` event names it. A ``case_opened`` event that
  names the decision gives the case the case system's id.

Everything here is pure: the store reads the ledger and the events, this module decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.events import Event
from agent.profile import Consent
from policies import CaseFact, ConsentFact, ContactFact, FactStatus, IncentiveFact
from tools import ActionType, Channel, Purpose

__all__ = [
    "ACCOUNTING_EVENTS",
    "Accounting",
    "ConsentWithdrawal",
    "LedgerEntry",
    "account",
    "effective_consents",
]

ACCOUNTING_EVENTS: dict[str, str] = {
    "message_sent": "another system sent a message: counts toward the contact cap of the "
    "event's channel (properties: template_id, purpose service|marketing, decision_id, "
    "transactional: true for receipts and confirmations the customer's own action triggered, "
    "which count toward no cap)",
    "renewal_notice_sent": "a renewal notice went out: a contact on the event's channel",
    "call_made": "an agent or dialler called the customer: a phone contact "
    "(properties: purpose, decision_id)",
    "incentive_offered": "an offer was presented: a contact on the event's channel and one "
    "incentive of the budget (properties: kind, value, currency, offer_id, decision_id)",
    "incentive_redeemed": "the customer redeemed an offer: one incentive of the budget, counted "
    "once with the offer of the same offer_id or decision_id",
    "credit_applied": "a goodwill credit was applied (properties: amount, currency, decision_id)",
    "case_opened": "a case was opened: its type counts as open, for suppression and so that a "
    "second one is not opened (properties: case_id, case_type, decision_id when it carries out "
    "an open_case decision)",
    "case_closed": "the case with properties.case_id (the case system's id, or the open_case "
    "decision's id) was closed or resolved",
    "unsubscribed": "the customer unsubscribed: marketing consent on the event's channel is "
    "withdrawn (properties: purpose, default marketing)",
}
"""Customer events other systems post that the guards count, and what each means."""

_CONTACT_EVENTS: dict[str, ActionType] = {
    "message_sent": ActionType.SEND_MESSAGE,
    "renewal_notice_sent": ActionType.SEND_MESSAGE,
    "call_made": ActionType.SCHEDULE_CALLBACK,
    "incentive_offered": ActionType.OFFER_INCENTIVE,
}
_INCENTIVE_EVENTS: dict[str, ActionType] = {
    "incentive_offered": ActionType.OFFER_INCENTIVE,
    "incentive_redeemed": ActionType.OFFER_INCENTIVE,
    "credit_applied": ActionType.APPLY_GOODWILL_CREDIT,
}
_EXECUTING_EVENTS = _CONTACT_EVENTS.keys() | _INCENTIVE_EVENTS.keys() | {"case_opened"}


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A logged decision whose chosen action contacts the customer, spends or opens a case,
    with what its outcome rows say so far."""

    decision_id: str
    kind: str
    created_at: datetime
    effective_at: datetime
    action_type: ActionType
    channel: Channel | None
    purpose: Purpose
    contacts_customer: bool
    incentive_kind: str | None
    incentive_value: Decimal | None
    incentive_currency: str | None
    executed_at: datetime | None
    """When it was first reported carried out; None when nobody said so."""
    declined: bool
    unsubscribed_at: datetime | None
    case_type: str | None = None
    """The type of the case an open_case decision opens."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConsentWithdrawal(_Frozen):
    """The customer unsubscribed: consent for this channel and purpose is withdrawn from ts."""

    channel: Channel = Field(description="The channel unsubscribed from.")
    purpose: Purpose = Field(description="The purpose withdrawn, usually marketing.")
    ts: AwareDatetime = Field(description="When it was withdrawn.")
    source: str = Field(description="decision (an unsubscribed outcome) or event.")
    ref: str = Field(description="The decision id or the event id.")


class Accounting(_Frozen):
    """What the guards counted for one decision, each fact with its source and status."""

    contacts: list[ContactFact] = Field(
        default_factory=list, description="Contacts within the contact window, oldest first."
    )
    incentives: list[IncentiveFact] = Field(
        default_factory=list, description="Incentives and credits within the budget window."
    )
    open_cases: list[CaseFact] = Field(
        default_factory=list,
        description="Cases that open_case decisions or case_opened events opened and no "
        "case_closed event closed, oldest first.",
    )
    withdrawn_consents: list[ConsentWithdrawal] = Field(
        default_factory=list, description="Consents withdrawn by unsubscribes."
    )


def _prop(event: Event, name: str) -> str | None:
    value = event.properties.get(name)
    return None if value is None or isinstance(value, bool) else str(value)


def _purpose(event: Event, default: Purpose) -> Purpose:
    value = _prop(event, "purpose")
    return Purpose(value) if value in {p.value for p in Purpose} else default


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _executions(entries: Sequence[LedgerEntry], events: Iterable[Event]) -> dict[str, datetime]:
    """When each logged decision was first carried out: its outcome rows, or an event that
    names it."""
    known = {e.decision_id for e in entries}
    executed = {e.decision_id: e.executed_at for e in entries if e.executed_at is not None}
    for event in events:
        decision_id = _prop(event, "decision_id")
        if event.type in _EXECUTING_EVENTS and decision_id in known:
            assert decision_id is not None
            seen = executed.get(decision_id)
            executed[decision_id] = event.ts if seen is None else min(seen, event.ts)
    return executed


def _entry_status(
    entry: LedgerEntry, executed_at: datetime | None, now: datetime, ttl: timedelta
) -> FactStatus | None:
    if executed_at is not None:
        return "executed"
    if entry.declined or entry.kind != "decision":
        return None
    return "reserved" if now < entry.created_at + ttl else None


def account(
    entries: Sequence[LedgerEntry],
    events: Sequence[Event],
    *,
    now: datetime,
    reservation_ttl: timedelta,
    contacts_since: datetime,
    incentives_since: datetime,
) -> Accounting:
    """The contacts, spends, cases and withdrawn consents that count at ``now``."""
    executions = _executions(entries, events)
    contacts: list[ContactFact] = []
    incentives: list[IncentiveFact] = []
    cases: list[CaseFact] = []
    for entry in entries:
        status = _entry_status(entry, executions.get(entry.decision_id), now, reservation_ttl)
        if status is None:
            continue
        if entry.case_type is not None:
            cases.append(_entry_case(entry, status))
        contact = _entry_contact(entry, status)
        if contact is not None and (
            entry.effective_at > contacts_since or entry.created_at >= contacts_since
        ):
            contacts.append(contact)
        incentive = _entry_incentive(entry, status)
        if incentive is not None and entry.created_at >= incentives_since:
            incentives.append(incentive)
    past = [e for e in events if e.ts <= now]
    known = {e.decision_id for e in entries}
    unlinked = [e for e in past if _prop(e, "decision_id") not in known]
    contacts += _event_contacts(unlinked, contacts_since)
    incentives += _event_incentives(unlinked, incentives_since)
    return Accounting(
        contacts=sorted(contacts, key=lambda c: (c.ts, c.ref)),
        incentives=sorted(incentives, key=lambda i: (i.ts, i.ref)),
        open_cases=_open_cases(cases, past, known),
        withdrawn_consents=_withdrawals(entries, past),
    )


def _entry_contact(entry: LedgerEntry, status: FactStatus) -> ContactFact | None:
    if not entry.contacts_customer or entry.channel is None:
        return None
    return ContactFact(
        ts=entry.effective_at,
        action_type=entry.action_type,
        channel=entry.channel,
        purpose=entry.purpose,
        ref=entry.decision_id,
        status=status,
    )


def _entry_incentive(entry: LedgerEntry, status: FactStatus) -> IncentiveFact | None:
    if entry.incentive_kind is None or entry.incentive_value is None:
        return None
    return IncentiveFact(
        ts=entry.created_at,
        action_type=entry.action_type,
        kind=entry.incentive_kind,
        value=entry.incentive_value,
        currency=entry.incentive_currency,
        ref=entry.decision_id,
        status=status,
    )


def _event_contacts(events: Iterable[Event], since: datetime) -> list[ContactFact]:
    facts = []
    for event in events:
        action = _CONTACT_EVENTS.get(event.type)
        if action is None or event.ts <= since or event.properties.get("transactional") is True:
            continue
        default = Purpose.MARKETING if action is ActionType.OFFER_INCENTIVE else Purpose.SERVICE
        facts.append(
            ContactFact(
                ts=event.ts,
                action_type=action,
                channel=event.channel,
                purpose=_purpose(event, default),
                source="event",
                ref=event.id,
            )
        )
    return facts


def _event_incentives(events: Iterable[Event], since: datetime) -> list[IncentiveFact]:
    """One fact per offer: an offer and its redemption share an offer_id or a decision_id."""
    by_offer: dict[str, IncentiveFact] = {}
    for event in sorted(events, key=lambda e: (e.ts, e.id)):
        action = _INCENTIVE_EVENTS.get(event.type)
        if action is None or event.ts < since:
            continue
        key = _prop(event, "offer_id") or _prop(event, "decision_id") or event.id
        if key in by_offer:
            continue
        credit = action is ActionType.APPLY_GOODWILL_CREDIT
        by_offer[key] = IncentiveFact(
            ts=event.ts,
            action_type=action,
            kind="goodwill_credit" if credit else (_prop(event, "kind") or "unspecified"),
            value=_decimal(_prop(event, "amount" if credit else "value")) or Decimal(0),
            currency=_prop(event, "currency"),
            source="event",
            ref=event.id,
        )
    return list(by_offer.values())


def _entry_case(entry: LedgerEntry, status: FactStatus) -> CaseFact:
    assert entry.case_type is not None
    return CaseFact(
        case_id=entry.decision_id,
        case_type=entry.case_type,
        opened_at=entry.created_at,
        source="decision",
        ref=entry.decision_id,
        status=status,
    )


def _open_cases(
    decided: Iterable[CaseFact], events: Iterable[Event], known: set[str]
) -> list[CaseFact]:
    """The cases open after ``events``: those our decisions opened (under the case system's id
    once a case_opened event names the decision), and those other systems opened."""
    cases = {c.case_id: c for c in decided}
    for event in sorted(events, key=lambda e: (e.ts, e.id)):
        case_id = _prop(event, "case_id") or event.id
        if event.type == "case_opened":
            decision_id = _prop(event, "decision_id")
            ours = cases.pop(decision_id, None) if decision_id in known else None
            if ours is not None:  # the case our decision opened, as the case system knows it
                cases[case_id] = ours.model_copy(update={"case_id": case_id, "status": "executed"})
                continue
            cases[case_id] = CaseFact(
                case_id=case_id,
                case_type=_prop(event, "case_type") or "general",
                opened_at=event.ts,
                source="event",
                ref=event.id,
            )
        elif event.type == "case_closed":
            cases.pop(case_id, None)
    return sorted(cases.values(), key=lambda c: (c.opened_at, c.case_id))


def _withdrawals(
    entries: Iterable[LedgerEntry], events: Iterable[Event]
) -> list[ConsentWithdrawal]:
    found = [
        ConsentWithdrawal(
            channel=entry.channel,
            purpose=Purpose.MARKETING,
            ts=entry.unsubscribed_at,
            source="decision",
            ref=entry.decision_id,
        )
        for entry in entries
        if entry.unsubscribed_at is not None and entry.channel is not None
    ]
    found += [
        ConsentWithdrawal(
            channel=event.channel,
            purpose=_purpose(event, Purpose.MARKETING),
            ts=event.ts,
            source="event",
            ref=event.id,
        )
        for event in events
        if event.type == "unsubscribed"
    ]
    return sorted(found, key=lambda w: (w.ts, w.ref))


def effective_consents(
    consents: Sequence[Consent], withdrawals: Sequence[ConsentWithdrawal]
) -> list[ConsentFact]:
    """The profile's consents, with each one an unsubscribe came after marked withdrawn (a
    consent updated after the unsubscribe stands)."""
    facts = []
    for consent in consents:
        granted = consent.granted and not any(
            w.channel == consent.channel
            and w.purpose == consent.purpose
            and (consent.updated_at is None or consent.updated_at < w.ts)
            for w in withdrawals
        )
        facts.append(ConsentFact(channel=consent.channel, purpose=consent.purpose, granted=granted))
    return facts

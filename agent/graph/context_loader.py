"""load_context's blocking work: profile and events from the stores, signals, policy snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from agent.deps import Deps
from agent.errors import ErrorCode, NextbestError
from agent.events import Event
from agent.outcomes import ACCOUNTING_EVENTS, Accounting, account, effective_consents
from agent.playbooks.conditions import build_activation
from agent.profile import Profile
from agent.record import DecideRequest
from agent.signals.derive import Reading
from agent.signals.models import Signals
from policies import CaseFact, CustomerFacts, PolicyContext

__all__ = [
    "CONTACT_LOOKBACK",
    "INCENTIVE_LOOKBACK",
    "LoadedContext",
    "customer_facts",
    "load",
    "load_accounting",
]

CONTACT_LOOKBACK = timedelta(days=30)
INCENTIVE_LOOKBACK = timedelta(days=365)
"""How far back the policy snapshot reads the decision log; the pack's windows fit inside."""


@dataclass(frozen=True, slots=True)
class LoadedContext:
    profile: Profile
    profile_source: Literal["store", "inline"]
    events: list[Event]
    signals: Signals
    policy_context: PolicyContext
    activation: dict[str, object]
    accounting: Accounting
    reading: Reading
    """The signals with the texts they embedded: retrieval reuses the vectors."""


def _merge(stored: list[Event], inline: list[Event]) -> list[Event]:
    """Stored and inline events by id (inline wins), oldest first."""
    by_id = {e.id: e for e in stored}
    by_id.update({e.id: e for e in inline})
    return sorted(by_id.values(), key=lambda e: (e.ts, e.id))


def customer_facts(
    profile: Profile, accounting: Accounting | None = None, signals: Signals | None = None
) -> CustomerFacts:
    """The profile as guards read it, with what the accounting adds (cases that events opened,
    consents that unsubscribes withdrew) and what the customer's words are about."""
    accounting = accounting or Accounting()
    cases = {
        c.id: CaseFact(
            case_id=c.id, case_type=c.type, opened_at=c.opened_at, source="profile", ref=c.id
        )
        for c in profile.active_cases
    }
    for fact in accounting.open_cases:
        cases.setdefault(fact.case_id, fact)  # the profile's view of a case it holds wins
    return CustomerFacts(
        customer_id=profile.customer_id,
        tier=profile.tier.value,
        timezone=profile.timezone,
        currency=profile.currency,
        consents=effective_consents(profile.consents, accounting.withdrawn_consents),
        open_cases=sorted(cases.values(), key=lambda c: (c.opened_at, c.case_id)),
        vulnerability_flags=list(profile.vulnerability_flags),
        intent=signals.intent.name if signals is not None else None,
        journey_stage=signals.journey.stage if signals is not None else None,
        segment=profile.segment,
        attributes=dict(profile.attributes),
    )


def load_accounting(
    deps: Deps, customer_id: str, inline: list[Event], now: datetime, source: str = "store"
) -> Accounting:
    """What caps, budgets and suppression count at ``now``: the customer's logged decisions
    (of the same profile source: inline ones never count toward a stored customer) with their
    outcomes, and the accounting events stored or sent with the request."""
    since = now - INCENTIVE_LOOKBACK
    stored = deps.customers.events_of_types(customer_id, ACCOUNTING_EVENTS, since=since)
    return account(
        deps.outcomes.ledger(customer_id, since=since, as_of=now, source=source),
        _merge(stored, [e for e in inline if e.type in ACCOUNTING_EVENTS]),
        now=now,
        reservation_ttl=timedelta(seconds=deps.config.outcomes.reservation_ttl_s),
        contacts_since=now - CONTACT_LOOKBACK,
        incentives_since=since,
    )


def load(deps: Deps, request: DecideRequest, now: datetime) -> LoadedContext:
    customer_id = request.customer_id or (request.profile.customer_id if request.profile else "")
    stored = deps.customers.get_profile(customer_id)
    profile = request.profile or stored
    if profile is None:
        raise NextbestError(
            f"customer {customer_id!r} not found: store it with PUT /v1/customers/{customer_id} "
            "or send an inline profile",
            ErrorCode.CUSTOMER_NOT_FOUND,
            field="customer_id",
        )
    since = now - timedelta(days=deps.config.event_lookback_days)
    history = deps.customers.recent_events(customer_id, since=since, limit=deps.config.max_events)
    events = _merge(history, list(request.events))
    reading = deps.deriver.read(profile, events, request.context, now)
    signals = reading.signals
    source: Literal["store", "inline"] = "inline" if request.profile is not None else "store"
    accounting = load_accounting(deps, customer_id, list(request.events), now, source)
    policy_context = PolicyContext(
        now=now,
        customer=customer_facts(profile, accounting, signals),
        interaction_channel=request.context.channel,
        inbound=request.context.direction == "inbound",
        recent_contacts=accounting.contacts,
        recent_incentives=accounting.incentives,
    )
    return LoadedContext(
        profile=profile,
        profile_source=source,
        events=events,
        signals=signals,
        policy_context=policy_context,
        activation=build_activation(
            profile, signals, request.context, now, policy_context.customer.open_case_types
        ),
        accounting=accounting,
        reading=reading,
    )

"""load_context's blocking work: profile and events from the stores, signals, policy snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from agent.deps import Deps
from agent.errors import ErrorCode, NextbestError
from agent.events import Event
from agent.playbooks.conditions import build_activation
from agent.profile import Profile
from agent.record import DecideRequest
from agent.signals.models import Signals
from policies import ConsentFact, CustomerFacts, PolicyContext

__all__ = ["CONTACT_LOOKBACK", "INCENTIVE_LOOKBACK", "LoadedContext", "load"]

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


def _merge(stored: list[Event], inline: list[Event]) -> list[Event]:
    """Stored and inline events by id (inline wins), oldest first."""
    by_id = {e.id: e for e in stored}
    by_id.update({e.id: e for e in inline})
    return sorted(by_id.values(), key=lambda e: (e.ts, e.id))


def customer_facts(profile: Profile) -> CustomerFacts:
    return CustomerFacts(
        customer_id=profile.customer_id,
        tier=profile.tier.value,
        timezone=profile.timezone,
        currency=profile.currency,
        consents=[
            ConsentFact(channel=c.channel, purpose=c.purpose, granted=c.granted)
            for c in profile.consents
        ],
        open_case_types=sorted({c.type for c in profile.active_cases}),
        vulnerability_flags=list(profile.vulnerability_flags),
        segment=profile.segment,
        attributes=dict(profile.attributes),
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
    signals = deps.deriver.derive(profile, events, request.context, now)
    policy_context = PolicyContext(
        now=now,
        customer=customer_facts(profile),
        interaction_channel=request.context.channel,
        inbound=request.context.direction == "inbound",
        recent_contacts=deps.decisions.contact_history(customer_id, since=now - CONTACT_LOOKBACK),
        recent_incentives=deps.decisions.incentive_history(
            customer_id, since=now - INCENTIVE_LOOKBACK
        ),
    )
    return LoadedContext(
        profile=profile,
        profile_source="inline" if request.profile is not None else "store",
        events=events,
        signals=signals,
        policy_context=policy_context,
        activation=build_activation(profile, signals, request.context, now),
    )

"""Journey and stage: which journey the customer is on, and where in it they stand.

Journey: ``context.journey`` if the caller named one, else the matched intent's journey, else the
journey implied by the most recent telling event (checkout_abandoned -> cart_recovery, ...).

Stage, first rule that holds wins:
  completed   the journey's completion event came after its last problem (and after it began)
  escalating  2+ contacts in 7 days (the current inbound one included) or a transfer in 7 days
  blocked     an error, failed login, account lock or failed payment in the last 24 h
  attempting  activity that belongs to the journey in the last 72 h
  dormant     no customer events in 14 days, and the customer is not reaching out now
  exploring   otherwise
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal

from agent.context import RequestContext
from agent.events import Event
from agent.signals.cues import ago, in_window
from agent.signals.models import EffortSignal, Evidence, IntentSignal, JourneySignal

__all__ = ["BLOCKERS", "JOURNEY_RULES", "JourneyRule", "Stage", "detect_journey"]

Stage = Literal["exploring", "attempting", "blocked", "escalating", "completed", "dormant"]

ESCALATION_WINDOW = timedelta(days=7)
BLOCKED_WINDOW = timedelta(hours=24)
ACTIVE_WINDOW = timedelta(hours=72)
DORMANT_AFTER = timedelta(days=14)
BLOCKERS = frozenset({"error", "login_failed", "account_locked", "payment_failed"})
_OURS = frozenset({"message_sent", "renewal_notice_sent"})  # sent by us: not customer activity
_SETTLED_CLAIM = frozenset({"approved", "paid", "settled", "closed"})


@dataclass(frozen=True, slots=True)
class JourneyRule:
    """Event types that imply, belong to, trouble and complete one journey."""

    implied_by: frozenset[str] = frozenset()
    activity: frozenset[str] = frozenset()
    problems: frozenset[str] = frozenset()
    completions: frozenset[str] = frozenset()

    def is_completion(self, event: Event) -> bool:
        if event.type not in self.completions:
            return False
        if event.type == "claim_status_viewed":
            return str(event.properties.get("status", "")).lower() in _SETTLED_CLAIM
        return True


def _rule(implied: str = "", activity: str = "", problems: str = "", done: str = "") -> JourneyRule:
    return JourneyRule(
        frozenset(implied.split()),
        frozenset((implied + " " + activity + " " + problems + " " + done).split()),
        frozenset(problems.split()),
        frozenset(done.split()),
    )


JOURNEY_RULES: Mapping[str, JourneyRule] = MappingProxyType(
    {
        "account_access": _rule(
            "login_failed account_locked password_reset_requested",
            "",
            "login_failed account_locked",
            "password_reset_completed login_success",
        ),
        "cart_recovery": _rule(
            "checkout_abandoned", "cart_updated checkout_started", "payment_failed", "order_placed"
        ),
        "insurance_claim": _rule("claim_submitted claim_status_viewed", done="claim_status_viewed"),
        "trial_conversion": _rule(
            "trial_started", "feature_used", "payment_failed", "order_placed"
        ),
        "travel_prearrival": _rule("booking_confirmed"),
        "onboarding": _rule("onboarding_step", "feature_used"),
        "renewal": _rule("renewal_notice_sent", "invoice_viewed plan_downgrade_viewed"),
        "billing_dispute": _rule(activity="invoice_viewed payment_failed"),
        "cancellation": _rule(activity="plan_downgrade_viewed"),
        "tech_support": _rule(activity="error search"),
        "order_delivery": _rule(),
        "complaint": _rule(),
        "general": _rule(),
    }
)


def _infer(events: Sequence[Event]) -> tuple[str, Event] | None:
    """The journey implied by the most recent telling event."""
    for event in reversed(events):
        for journey, rule in JOURNEY_RULES.items():
            if event.type in rule.implied_by:
                return journey, event
    return None


def _pick_journey(
    events: Sequence[Event], context: RequestContext, intent: IntentSignal
) -> tuple[str | None, Evidence | None]:
    if context.journey:
        return context.journey, Evidence(
            source="context", ref="context.journey", detail=f"journey {context.journey} as stated"
        )
    if intent.journey:
        ref = intent.evidence[0] if intent.evidence else None
        return intent.journey, Evidence(
            source=ref.source if ref else "context",
            ref=ref.ref if ref else "context.reason",
            detail=f"journey {intent.journey} from intent {intent.name} ({intent.score:.2f})",
        )
    inferred = _infer(events)
    if inferred is None:
        return None, None
    journey, event = inferred
    return journey, Evidence(
        source="event", ref=event.id, detail=f"journey {journey} implied by {event.type}"
    )


def _completion(rule: JourneyRule, events: Sequence[Event]) -> tuple[Event, Event] | None:
    """(opening event, completion) when the last completion follows the journey's start and the
    last problem; None otherwise."""
    done = [e for e in events if rule.is_completion(e)]
    if not done:
        return None
    last_done = done[-1]
    openers = [e for e in events if e.ts <= last_done.ts and e is not last_done]
    openers = [e for e in openers if e.type in rule.problems or e.type in rule.implied_by]
    problems_after = [e for e in events if e.type in rule.problems and e.ts > last_done.ts]
    if not openers or problems_after:
        return None
    return openers[-1], last_done


def _completed(rule: JourneyRule | None, events: Sequence[Event], now: datetime) -> list[Evidence]:
    if rule is None or (pair := _completion(rule, events)) is None:
        return []
    opener, done = pair
    return [
        Evidence(source="event", ref=opener.id, detail=f"{opener.type} {ago(opener.ts, now)}"),
        Evidence(
            source="event",
            ref=done.id,
            detail=f"completed: {done.type} {ago(done.ts, now)}, after the last problem",
        ),
    ]


def _escalating(effort: EffortSignal, events: Sequence[Event], now: datetime) -> list[Evidence]:
    if effort.repeat_contacts_7d < 2 and effort.transfers < 1:
        return []
    detail = (
        f"escalating: {effort.repeat_contacts_7d} contacts and {effort.transfers} transfers "
        "in 7 days"
    )
    recent = in_window(events, now, ESCALATION_WINDOW, ("contact", "transfer"))
    if recent:
        return [Evidence(source="event", ref=recent[-1].id, detail=detail)]
    return [Evidence(source="context", ref="context.direction", detail=detail)]


def _latest(events: Sequence[Event], label: str, now: datetime) -> list[Evidence]:
    if not events:
        return []
    last = events[-1]
    return [
        Evidence(source="event", ref=last.id, detail=f"{label}: {last.type} {ago(last.ts, now)}")
    ]


def _dormant(events: Sequence[Event], context: RequestContext, now: datetime) -> list[Evidence]:
    customer = [e for e in events if e.type not in _OURS]
    if context.direction == "inbound" or in_window(customer, now, DORMANT_AFTER):
        return []
    if not customer:
        return [
            Evidence(
                source="context", ref="context.direction", detail="dormant: no customer events"
            )
        ]
    last = customer[-1]
    return [
        Evidence(
            source="event",
            ref=last.id,
            detail=f"dormant: last seen {ago(last.ts, now)} ({last.type}), nothing in 14 days",
        )
    ]


def detect_journey(
    events: Sequence[Event],
    context: RequestContext,
    intent: IntentSignal,
    effort: EffortSignal,
    now: datetime,
) -> JourneySignal:
    """Journey and stage; ``events`` sorted by ts (any after ``now`` are ignored)."""
    past = [e for e in events if e.ts <= now]
    journey, source = _pick_journey(past, context, intent)
    rule = JOURNEY_RULES.get(journey) if journey else None
    activity = rule.activity if rule is not None else frozenset[str]()
    checks: tuple[tuple[Stage, Callable[[], list[Evidence]]], ...] = (
        ("completed", lambda: _completed(rule, past, now)),
        ("escalating", lambda: _escalating(effort, past, now)),
        (
            "blocked",
            lambda: _latest(in_window(past, now, BLOCKED_WINDOW, BLOCKERS), "blocked", now),
        ),
        (
            "attempting",
            lambda: _latest(in_window(past, now, ACTIVE_WINDOW, activity), "attempting", now),
        ),
        ("dormant", lambda: _dormant(past, context, now)),
    )
    stage: Stage = "exploring"
    fired: list[Evidence] = []
    for name, check in checks:
        fired = check()
        if fired:
            stage = name
            break
    if stage == "exploring":
        fired = [_exploring(past, now)]
    evidence = ([source] if source else []) + fired
    return JourneySignal(journey=journey, stage=stage, evidence=evidence)


def _exploring(events: Sequence[Event], now: datetime) -> Evidence:
    if events:
        last = events[-1]
        return Evidence(
            source="event",
            ref=last.id,
            detail=f"exploring: last activity {last.type} {ago(last.ts, now)}, no stronger rule",
        )
    return Evidence(
        source="context", ref="context.direction", detail="exploring: reaching out with no history"
    )

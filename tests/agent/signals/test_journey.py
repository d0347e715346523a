from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from agent.context import RequestContext
from agent.events import Event
from agent.signals.effort import score_effort
from agent.signals.journey import detect_journey
from agent.signals.models import Evidence, IntentSignal, JourneySignal

EventFactory = Callable[..., Event]
H = timedelta(hours=1)
D = timedelta(days=1)
NO_INTENT = IntentSignal(name=None, journey=None, score=0.1)
CLAIM_INTENT = IntentSignal(
    name="claim_delay",
    journey="insurance_claim",
    score=0.8,
    evidence=[Evidence(source="context", ref="context.reason", detail="closest to claim_delay")],
)


def detect(
    events: list[Event],
    now: datetime,
    context: RequestContext | None = None,
    intent: IntentSignal = NO_INTENT,
) -> JourneySignal:
    context = context or RequestContext()
    ordered = sorted(events, key=lambda e: e.ts)
    return detect_journey(ordered, context, intent, score_effort(ordered, context, now), now)


@pytest.mark.parametrize(
    ("context", "intent", "cues", "journey", "ref"),
    [
        pytest.param(
            RequestContext(journey="renewal"),
            CLAIM_INTENT,
            [("checkout_abandoned", H)],
            "renewal",
            "context.journey",
            id="context-wins",
        ),
        pytest.param(
            RequestContext(),
            CLAIM_INTENT,
            [("checkout_abandoned", H)],
            "insurance_claim",
            "context.reason",
            id="intent-before-events",
        ),
        pytest.param(
            RequestContext(),
            NO_INTENT,
            [("checkout_abandoned", H)],
            "cart_recovery",
            "evt_001_checkout_abandoned",
            id="checkout-abandoned",
        ),
        pytest.param(
            RequestContext(),
            NO_INTENT,
            [("claim_submitted", D)],
            "insurance_claim",
            "evt_001_claim_submitted",
            id="claim-submitted",
        ),
        pytest.param(
            RequestContext(),
            NO_INTENT,
            [("trial_started", 5 * D)],
            "trial_conversion",
            "evt_001_trial_started",
            id="trial-started",
        ),
        pytest.param(
            RequestContext(),
            NO_INTENT,
            [("booking_confirmed", 9 * D)],
            "travel_prearrival",
            "evt_001_booking_confirmed",
            id="booking",
        ),
        pytest.param(
            RequestContext(),
            NO_INTENT,
            [("account_locked", H)],
            "account_access",
            "evt_001_account_locked",
            id="locked",
        ),
        pytest.param(
            RequestContext(),
            NO_INTENT,
            [("trial_started", 5 * D), ("login_failed", H)],
            "account_access",
            "evt_002_login_failed",
            id="most-recent-cue-wins",
        ),
        pytest.param(
            RequestContext(),
            NO_INTENT,
            [("page_view", H), ("search", H)],
            None,
            None,
            id="nothing-telling",
        ),
    ],
)
def test_journey_source_order(
    now: datetime,
    event: EventFactory,
    context: RequestContext,
    intent: IntentSignal,
    cues: list[tuple[str, timedelta]],
    journey: str | None,
    ref: str | None,
) -> None:
    signal = detect([event(kind, age) for kind, age in cues], now, context, intent)

    assert signal.journey == journey
    if ref is None:
        assert all("journey" not in e.detail for e in signal.evidence)
    else:
        assert signal.evidence[0].ref == ref


@pytest.mark.parametrize(
    ("cues", "context", "stage", "ref"),
    [
        pytest.param(
            [("login_failed", 3 * H), ("login_failed", 2 * H), ("password_reset_completed", H)],
            RequestContext(),
            "completed",
            "evt_003_password_reset_completed",
            id="reset-after-failures",
        ),
        pytest.param(
            [("login_failed", 5 * H), ("login_success", 4 * H), ("login_failed", H)],
            RequestContext(),
            "blocked",
            "evt_003_login_failed",
            id="failed-again-after-success",
        ),
        pytest.param(
            [("cart_updated", 2 * D), ("checkout_abandoned", D), ("order_placed", H)],
            RequestContext(),
            "completed",
            "evt_003_order_placed",
            id="order-after-abandon",
        ),
        pytest.param(
            [("claim_submitted", 9 * D), ("claim_status_viewed", D, {"status": "paid"})],
            RequestContext(),
            "completed",
            "evt_002_claim_status_viewed",
            id="claim-paid",
        ),
        pytest.param(
            [("claim_submitted", 9 * D), ("claim_status_viewed", D, {"status": "pending"})],
            RequestContext(),
            "attempting",
            "evt_002_claim_status_viewed",
            id="claim-pending",
        ),
        pytest.param(
            [("checkout_abandoned", D), ("contact", 2 * D)],
            RequestContext(direction="inbound"),
            "escalating",
            "evt_002_contact",
            id="second-contact",
        ),
        pytest.param(
            [("checkout_abandoned", D), ("transfer", 6 * D)],
            RequestContext(),
            "escalating",
            "evt_002_transfer",
            id="transfer",
        ),
        pytest.param(
            [("checkout_abandoned", D), ("transfer", 8 * D)],
            RequestContext(),
            "attempting",
            "evt_001_checkout_abandoned",
            id="old-transfer",
        ),
        pytest.param(
            [("checkout_abandoned", 5 * D), ("payment_failed", 20 * H)],
            RequestContext(),
            "blocked",
            "evt_002_payment_failed",
            id="payment-failed",
        ),
        pytest.param(
            [("checkout_abandoned", 5 * D), ("error", 25 * H)],
            RequestContext(),
            "exploring",
            "evt_002_error",
            id="error-over-24h",
        ),
        pytest.param(
            [("checkout_abandoned", 71 * H)],
            RequestContext(),
            "attempting",
            "evt_001_checkout_abandoned",
            id="activity-71h",
        ),
        pytest.param(
            [("checkout_abandoned", 73 * H)],
            RequestContext(),
            "exploring",
            "evt_001_checkout_abandoned",
            id="activity-73h",
        ),
        pytest.param(
            [("checkout_abandoned", 15 * D), ("message_sent", D)],
            RequestContext(),
            "dormant",
            "evt_001_checkout_abandoned",
            id="dormant",
        ),
        pytest.param(
            [("checkout_abandoned", 15 * D)],
            RequestContext(direction="inbound"),
            "exploring",
            "evt_001_checkout_abandoned",
            id="inbound-not-dormant",
        ),
        pytest.param(
            [("page_view", 13 * D)],
            RequestContext(),
            "exploring",
            "evt_001_page_view",
            id="seen-13d",
        ),
    ],
)
def test_stage_rules(
    now: datetime,
    event: EventFactory,
    cues: list[tuple[object, ...]],
    context: RequestContext,
    stage: str,
    ref: str,
) -> None:
    events = [
        event(cue[0], cue[1], **(cue[2] if len(cue) > 2 else {}))  # type: ignore[arg-type]
        for cue in cues
    ]

    signal = detect(events, now, context)

    assert signal.stage == stage
    assert signal.evidence[-1].ref == ref
    assert signal.evidence[-1].detail.startswith(stage)


def test_completion_needs_a_problem_or_start_before_it(now: datetime, event: EventFactory) -> None:
    context = RequestContext(journey="account_access")

    signal = detect([event("login_success", 2 * D)], now, context)

    assert signal.stage == "attempting"


def test_no_events_outbound_is_dormant_inbound_exploring(now: datetime) -> None:
    assert detect([], now).stage == "dormant"
    assert detect([], now, RequestContext(direction="inbound")).stage == "exploring"


def test_future_events_are_ignored(now: datetime, event: EventFactory) -> None:
    signal = detect([event("checkout_abandoned", 20 * D), event("login_failed", -H)], now)

    assert (signal.journey, signal.stage) == ("cart_recovery", "dormant")

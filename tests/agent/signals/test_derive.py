from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import numpy as np
import pytest

from agent.context import RequestContext
from agent.embeddings import Embedder
from agent.events import Event
from agent.profile import Profile
from agent.signals.derive import SignalDeriver
from agent.signals.models import Evidence, Signals

EventFactory = Callable[..., Event]
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def _all_evidence(signals: Signals) -> list[Evidence]:
    return [
        *signals.intent.evidence,
        *signals.sentiment.evidence,
        *signals.effort.evidence,
        *signals.journey.evidence,
        *signals.risk.evidence,
    ]


@pytest.fixture
def locked_out(event: EventFactory) -> list[Event]:
    return [
        event("chat_message", 20 * D, channel="chat", text="Love the new app, really easy to use"),
        event("contact", D, channel="phone", text="I still can't log in, this is so frustrating"),
        event("login_failed", 2 * H, reason="bad_password"),
        event("login_failed", 90 * M, reason="bad_password"),
        event("page_view", 80 * M, page="/help/sign-in", page_type="help", dwell_seconds=300),
        event("password_reset_requested", 50 * M),
        event("password_reset_completed", 45 * M),
        event("login_failed", 30 * M, reason="bad_password"),
        event("login_failed", 20 * M, reason="bad_password"),
        event("order_placed", -H, text="thanks, all sorted!"),  # after now: ignored
    ]


def test_end_to_end_locked_out_caller(
    deriver: SignalDeriver, now: datetime, locked_out: list[Event]
) -> None:
    profile = Profile(customer_id="cus_42", churn_risk=0.3, nps=4)
    context = RequestContext(
        channel="phone",
        direction="inbound",
        reason="can't get into my account after resetting my password",
    )

    signals = deriver.derive(profile, locked_out, context, now)

    assert signals.intent.journey == "account_access"
    assert signals.intent.name in {"locked_out", "password_reset"}
    assert signals.sentiment.label == "negative"
    assert signals.sentiment.texts_scored == 3
    assert (signals.effort.repeat_contacts_7d, signals.effort.failed_logins) == (2, 4)
    assert signals.effort.help_dwell_seconds == 300
    assert signals.effort.level == "high"
    assert (signals.journey.journey, signals.journey.stage) == ("account_access", "escalating")
    assert signals.risk.level == "high"
    assert set(signals.risk.factors) == {
        "negative_sentiment",
        "high_effort",
        "escalating",
        "nps_detractor",
    }
    assert signals.risk.churn == pytest.approx(0.3 + 0.1 + 0.15 + 0.1 + 0.1)

    known = {e.id for e in locked_out if e.ts <= now}
    future = {e.id for e in locked_out if e.ts > now}
    for item in _all_evidence(signals):
        if item.source == "event":
            assert item.ref in known, item
        else:
            assert item.ref.startswith(f"{item.source}."), item
        assert item.ref not in future
        assert item.detail
    assert {e.ref for e in signals.effort.evidence if e.source == "event"} >= {
        e.id for e in locked_out if e.type == "login_failed"
    }


def test_event_order_does_not_matter(
    deriver: SignalDeriver, now: datetime, locked_out: list[Event]
) -> None:
    profile = Profile(customer_id="cus_42")
    context = RequestContext(direction="inbound", reason="I can't log in")
    shuffled = list(locked_out)
    random.Random(7).shuffle(shuffled)

    assert deriver.derive(profile, shuffled, context, now) == deriver.derive(
        profile, locked_out, context, now
    )


def test_quiet_outbound_cart_recovery(
    deriver: SignalDeriver, now: datetime, event: EventFactory
) -> None:
    events = [
        event("cart_updated", 26 * H, value=89.9, items=2),
        event("checkout_started", 25 * H, value=89.9),
        event("checkout_abandoned", 25 * H - 5 * M, value=89.9, step="shipping"),
    ]

    signals = deriver.derive(Profile(customer_id="cus_7"), events, RequestContext(), now)

    assert signals.intent.name is None
    assert signals.sentiment.texts_scored == 0
    assert (signals.journey.journey, signals.journey.stage) == ("cart_recovery", "attempting")
    assert signals.journey.evidence[0].ref == events[2].id
    assert signals.effort.level == "low"
    assert (signals.risk.churn, signals.risk.factors) == (0.2, [])


def test_stated_journey_is_respected_but_intent_is_still_matched(
    deriver: SignalDeriver, now: datetime
) -> None:
    context = RequestContext(
        journey="renewal", reason="my claim is taking forever", direction="inbound"
    )

    signals = deriver.derive(Profile(customer_id="cus_8"), [], context, now)

    assert signals.intent.journey == "insurance_claim"
    assert signals.journey.journey == "renewal"
    assert signals.journey.evidence[0].ref == "context.journey"


def test_naive_now_is_refused(deriver: SignalDeriver, now: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deriver.derive(Profile(customer_id="cus_8"), [], RequestContext(), now.replace(tzinfo=None))


class _Counting:
    """The real embedder, recording the texts of each call."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.calls: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return self._inner.embed(texts)


def test_read_embeds_the_words_once_and_keeps_their_vectors(
    embedder: Embedder, now: datetime, locked_out: list[Event]
) -> None:
    counting = _Counting(embedder)
    deriver = SignalDeriver(counting)
    counting.calls.clear()  # the catalogue's examples, embedded once when built
    profile = Profile(customer_id="cus_42")
    context = RequestContext(direction="inbound", reason="  I can't log in  ")

    reading = deriver.read(profile, locked_out, context, now)

    # One call: the reason, the customer's texts of the last 7 days for the intent (newest
    # first), then the older ones that only the sentiment reads (30 days); each text once.
    assert counting.calls == [
        [
            "I can't log in",
            "I still can't log in, this is so frustrating",
            "Love the new app, really easy to use",
        ]
    ]
    assert [c.source for c in reading.cues] == ["context", "event"]
    assert reading.vectors.shape == (2, 512)
    assert reading.vectors[0] == pytest.approx(
        np.array(embedder.embed(["I can't log in"])[0]), abs=1e-5
    )
    assert reading.signals == deriver.derive(profile, locked_out, context, now)


def test_read_without_words_embeds_nothing(
    embedder: Embedder, now: datetime, event: EventFactory
) -> None:
    counting = _Counting(embedder)
    deriver = SignalDeriver(counting)
    counting.calls.clear()

    reading = deriver.read(
        Profile(customer_id="cus_7"), [event("checkout_abandoned", H)], RequestContext(), now
    )

    assert counting.calls == []
    assert (reading.cues, reading.vectors.shape) == ((), (0, 512))
    assert reading.signals.intent.name is None

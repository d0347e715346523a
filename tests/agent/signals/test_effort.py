from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from agent.context import RequestContext
from agent.events import Event
from agent.signals.effort import score_effort

EventFactory = Callable[..., Event]
H = timedelta(hours=1)
D = timedelta(days=1)
OUTBOUND = RequestContext()
INBOUND = RequestContext(direction="inbound", channel="phone")


def test_no_cues_is_zero_effort(now: datetime) -> None:
    signal = score_effort([], OUTBOUND, now)

    assert (signal.score, signal.level, signal.evidence) == (0.0, "low", [])


@pytest.mark.parametrize(
    ("cues", "context", "field", "expected"),
    [
        pytest.param([("contact", 6 * D)], OUTBOUND, "repeat_contacts_7d", 1, id="contact-6d"),
        pytest.param(
            [("contact", 7 * D + H)], OUTBOUND, "repeat_contacts_7d", 0, id="contact-just-over-7d"
        ),
        pytest.param(
            [("contact", 2 * D)], INBOUND, "repeat_contacts_7d", 2, id="inbound-counts-itself"
        ),
        pytest.param([("transfer", 6 * D)], OUTBOUND, "transfers", 1, id="transfer-6d"),
        pytest.param([("transfer", 8 * D)], OUTBOUND, "transfers", 0, id="transfer-8d"),
        pytest.param(
            [("login_failed", 23 * H)], OUTBOUND, "failed_logins", 1, id="failed-login-23h"
        ),
        pytest.param(
            [("login_failed", 25 * H)], OUTBOUND, "failed_logins", 0, id="failed-login-25h"
        ),
        pytest.param([("error", 1 * H)], OUTBOUND, "errors", 1, id="error-1h"),
        pytest.param(
            [("error", D + timedelta(seconds=1))], OUTBOUND, "errors", 0, id="error-just-over-24h"
        ),
        pytest.param(
            [("login_success", H)], OUTBOUND, "failed_logins", 0, id="success-is-not-failure"
        ),
        pytest.param([("contact", -H)], OUTBOUND, "repeat_contacts_7d", 0, id="future-ignored"),
    ],
)
def test_components_count_inside_their_windows(
    now: datetime,
    event: EventFactory,
    cues: list[tuple[str, timedelta]],
    context: RequestContext,
    field: str,
    expected: int,
) -> None:
    events = [event(kind, age) for kind, age in cues]

    signal = score_effort(events, context, now)

    assert getattr(signal, field) == expected
    counted = {e.ref for e in signal.evidence if e.source == "event"}
    from_events = expected - (1 if context.direction == "inbound" else 0)
    assert counted == ({events[0].id} if from_events else set())


@pytest.mark.parametrize(
    ("props", "age", "seconds"),
    [
        pytest.param({"page_type": "help", "dwell_seconds": 240}, H, 240, id="help-page"),
        pytest.param({"page_type": "pricing", "dwell_seconds": 240}, H, 0, id="not-help"),
        pytest.param({"page_type": "help"}, H, 0, id="no-dwell"),
        pytest.param({"page_type": "help", "dwell_seconds": 240}, 25 * H, 0, id="older-than-24h"),
        pytest.param({"page_type": "help", "dwell_seconds": -5}, H, 0, id="negative-dwell"),
    ],
)
def test_help_dwell(
    now: datetime, event: EventFactory, props: dict[str, object], age: timedelta, seconds: int
) -> None:
    signal = score_effort([event("page_view", age, page="/help/reset", **props)], OUTBOUND, now)

    assert signal.help_dwell_seconds == seconds


@pytest.mark.parametrize(
    ("cues", "context", "score", "level"),
    [
        pytest.param([], INBOUND, 0.15, "low", id="first-inbound-call"),
        pytest.param([("contact", D)], INBOUND, 0.30, "low", id="second-contact"),
        pytest.param(
            [("contact", D), ("contact", 2 * D)], INBOUND, 0.45, "medium", id="third-contact"
        ),
        pytest.param([("contact", D)] * 6, INBOUND, 0.45, "medium", id="contacts-saturate"),
        pytest.param(
            [("contact", D), ("contact", 2 * D), ("transfer", D)],
            INBOUND,
            0.625,
            "medium",
            id="contacts-and-transfer",
        ),
        pytest.param(
            [("contact", D), ("contact", 2 * D), ("transfer", D), ("transfer", D)],
            INBOUND,
            0.80,
            "high",
            id="contacts-and-transfers",
        ),
        pytest.param(
            [("login_failed", H)] * 3 + [("error", H)] * 3, OUTBOUND, 0.55, "medium", id="failures"
        ),
        pytest.param(
            [("contact", D)] * 3
            + [("transfer", D)] * 2
            + [("login_failed", H)] * 3
            + [("error", H)] * 3,
            OUTBOUND,
            1.0,
            "high",
            id="clamped-to-one",
        ),
    ],
)
def test_score_and_level(
    now: datetime,
    event: EventFactory,
    cues: list[tuple[str, timedelta]],
    context: RequestContext,
    score: float,
    level: str,
) -> None:
    signal = score_effort([event(kind, age) for kind, age in cues], context, now)

    assert signal.score == pytest.approx(score, abs=1e-3)
    assert signal.level == level


def test_score_is_monotone_in_every_component(now: datetime, event: EventFactory) -> None:
    kinds = ["contact", "transfer", "login_failed", "error"]
    events: list[Event] = []
    previous = score_effort(events, OUTBOUND, now).score
    for step in range(12):
        events.append(event(kinds[step % len(kinds)], H))
        current = score_effort(events, OUTBOUND, now).score
        assert current >= previous
        previous = current
    assert previous == 1.0


def test_evidence_lists_every_counted_event(now: datetime, event: EventFactory) -> None:
    counted = [
        event("contact", 2 * D),
        event("transfer", 2 * D),
        event("login_failed", 3 * H),
        event("error", 2 * H),
        event("page_view", H, page="/help/billing", page_type="help", dwell_seconds=90),
    ]
    ignored = [event("contact", 9 * D), event("page_view", H, page="/home"), event("search", H)]

    signal = score_effort(counted + ignored, INBOUND, now)

    assert [e.ref for e in signal.evidence if e.source == "event"] == [e.id for e in counted]
    assert any(e.ref == "context.direction" for e in signal.evidence)

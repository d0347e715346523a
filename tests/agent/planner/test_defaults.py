from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.context import RequestContext
from agent.planner.defaults import fill_defaults, next_business_slot
from tests.factories import profile
from tools import ActionType


@pytest.mark.parametrize(
    ("now", "tz", "expected_local"),
    [
        pytest.param(
            datetime(2026, 11, 20, 8, 10, tzinfo=UTC),
            "Europe/Berlin",
            "2026-11-20T11:30",
            id="friday-morning-rounds-up-to-half-hour",
        ),
        pytest.param(
            datetime(2026, 11, 20, 16, 30, tzinfo=UTC),
            "Europe/Berlin",
            "2026-11-23T09:00",
            id="friday-evening-moves-to-monday",
        ),
        pytest.param(
            datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
            "America/New_York",
            "2026-11-23T09:00",
            id="saturday-moves-to-monday",
        ),
        pytest.param(
            datetime(2026, 11, 19, 23, 0, tzinfo=UTC),
            "Asia/Tokyo",
            "2026-11-20T10:00",
            id="tokyo-morning",
        ),
        pytest.param(
            datetime(2026, 3, 27, 15, 0, tzinfo=UTC),
            "Europe/Berlin",
            "2026-03-30T09:00",
            id="over-dst-weekend",
        ),
    ],
)
def test_next_business_slot(now: datetime, tz: str, expected_local: str) -> None:
    slot = next_business_slot(now, profile(timezone=tz))
    assert slot.strftime("%Y-%m-%dT%H:%M") == expected_local
    assert slot >= now


def test_fills_channel_from_preference_and_keeps_given_values() -> None:
    p = profile(preferred_channel="push")
    ctx = RequestContext()
    filled = fill_defaults(
        ActionType.SEND_MESSAGE,
        {"purpose": "service", "template_id": "t"},
        p,
        ctx,
        datetime.now(UTC),
    )
    assert filled["channel"] == "push"
    given = fill_defaults(ActionType.SEND_MESSAGE, {"channel": "sms"}, p, ctx, datetime.now(UTC))
    assert given["channel"] == "sms"


def test_live_channel_for_incentive_and_handoff_when_inbound() -> None:
    ctx = RequestContext(direction="inbound", channel="chat")
    now = datetime.now(UTC)
    offer = fill_defaults(
        ActionType.OFFER_INCENTIVE, {"kind": "amount_discount"}, profile(currency="GBP"), ctx, now
    )
    assert offer["channel"] == "chat"
    assert offer["currency"] == "GBP"
    handoff = fill_defaults(ActionType.HANDOFF_TO_AGENT, {"queue": "billing"}, profile(), ctx, now)
    assert handoff["channel"] == "chat"


def test_goodwill_credit_takes_currency_and_open_case() -> None:
    p = profile(
        currency="USD",
        open_cases=[{"id": "case_1", "type": "complaint", "opened_at": "2026-11-01T10:00:00Z"}],
    )
    filled = fill_defaults(
        ActionType.APPLY_GOODWILL_CREDIT, {"amount": 10}, p, RequestContext(), datetime.now(UTC)
    )
    assert filled["currency"] == "USD"
    assert filled["case_id"] == "case_1"

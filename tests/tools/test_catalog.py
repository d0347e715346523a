from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tools import CATALOG, ActionType, Channel, Purpose, action_adapter, parse_action


def test_every_action_type_has_exactly_one_tool() -> None:
    assert set(CATALOG) == set(ActionType)
    for action_type, cls in CATALOG.items():
        assert cls.spec.name is action_type
        assert cls.model_fields["type"].default == action_type


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        pytest.param(
            {"type": "teleport", "args": {}},
            "does not match any of the expected tags",
            id="unknown-tool",
        ),
        pytest.param(
            {
                "type": "send_message",
                "args": {"channel": "fax", "purpose": "service", "template_id": "t"},
            },
            "args.channel",
            id="unknown-channel",
        ),
        pytest.param(
            {
                "type": "send_message",
                "args": {"channel": "sms", "purpose": "service", "template_id": "has space"},
            },
            "template_id",
            id="bad-template-id",
        ),
        pytest.param(
            {
                "type": "send_message",
                "args": {
                    "channel": "sms",
                    "purpose": "service",
                    "template_id": "t",
                    "send_at": "2026-11-20T10:00:00",
                },
            },
            "send_at",
            id="naive-send-at",
        ),
        pytest.param(
            {
                "type": "offer_incentive",
                "args": {
                    "kind": "percent_discount",
                    "value": 120,
                    "channel": "email",
                    "offer_id": "o",
                },
            },
            "<= 100",
            id="percent-over-100",
        ),
        pytest.param(
            {
                "type": "offer_incentive",
                "args": {
                    "kind": "amount_discount",
                    "value": 10,
                    "channel": "email",
                    "offer_id": "o",
                },
            },
            "currency is required",
            id="amount-without-currency",
        ),
        pytest.param(
            {
                "type": "apply_goodwill_credit",
                "args": {"amount": "-5", "currency": "EUR", "reason_code": "x"},
            },
            "amount",
            id="negative-credit",
        ),
        pytest.param(
            {
                "type": "apply_goodwill_credit",
                "args": {"amount": "5", "currency": "eur", "reason_code": "x"},
            },
            "currency",
            id="lowercase-currency",
        ),
        pytest.param(
            {"type": "hold_outreach", "args": {"hours": 0, "reason": "x"}}, "hours", id="zero-hold"
        ),
        pytest.param(
            {"type": "no_action", "args": {"reason": "x", "extra": 1}},
            "extra",
            id="unknown-argument",
        ),
    ],
)
def test_invalid_calls_name_the_field(payload: dict[str, object], error: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_action(payload)
    assert error in str(info.value)


def test_channel_purpose_and_cost_of_calls() -> None:
    sms = parse_action(
        {
            "type": "send_message",
            "args": {"channel": "sms", "purpose": "marketing", "template_id": "t"},
        }
    )
    assert (sms.channel, sms.purpose) == (Channel.SMS, Purpose.MARKETING)
    offer = parse_action(
        {
            "type": "offer_incentive",
            "args": {"kind": "free_months", "value": 1, "channel": "email", "offer_id": "o"},
        }
    )
    assert offer.purpose is Purpose.MARKETING
    credit = parse_action(
        {
            "type": "apply_goodwill_credit",
            "args": {"amount": "12.50", "currency": "EUR", "reason_code": "late"},
        }
    )
    assert credit.cost == Decimal("12.50")
    assert credit.channel is None
    callback = parse_action(
        {
            "type": "schedule_callback",
            "args": {"at": "2026-11-20T10:00:00Z", "queue": "q", "topic": "t"},
        }
    )
    assert callback.channel is Channel.PHONE


def test_calls_are_frozen() -> None:
    call = parse_action({"type": "no_action", "args": {"reason": "x"}})
    with pytest.raises(ValidationError):
        call.args.reason = "y"  # type: ignore[misc]


def test_json_schema_lists_every_tool() -> None:
    schema = action_adapter.json_schema()
    assert set(schema["discriminator"]["mapping"]) == {t.value for t in ActionType}

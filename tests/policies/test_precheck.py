from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from policies import ContactFact, IncentiveFact, PolicyPack, precheck
from tests.policies.conftest import NOW, consents, ctx
from tools import ActionType, Channel, Purpose

NIGHT = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # 23:00 Berlin


def _contacts(channel: str, n: int) -> list[ContactFact]:
    return [
        ContactFact(
            ts=NOW - timedelta(days=1),
            action_type=ActionType.SEND_MESSAGE,
            channel=channel,
            purpose="service",
        )
    ] * n


def _incentives(n: int) -> list[IncentiveFact]:
    return [
        IncentiveFact(
            ts=NOW - timedelta(days=10),
            action_type=ActionType.OFFER_INCENTIVE,
            kind="percent_discount",
            value=Decimal(10),
            currency=None,
        )
    ] * n


def test_precheck_lists_what_is_allowed_now(pack: PolicyPack) -> None:
    grants = consents("email:service", "sms:service", "email:marketing", "phone:service")
    check = precheck(ctx(customer={"consents": grants, "tier": "silver"}), pack)
    assert check.channels[Purpose.SERVICE] == [Channel.EMAIL, Channel.SMS, Channel.PHONE]
    assert check.channels[Purpose.MARKETING] == [Channel.EMAIL]
    assert check.forbidden == []
    assert (check.max_percent, check.max_amount, check.max_free_months) == (15, 20, 1)
    assert check.currency == "EUR"


@pytest.mark.parametrize(
    ("overrides", "forbidden", "marketing"),
    [
        pytest.param(
            {"customer": {"open_case_types": ["billing_dispute"]}},
            [ActionType.OFFER_INCENTIVE],
            [],
            id="dispute-suppresses-offers-and-marketing",
        ),
        pytest.param(
            {"recent_incentives": _incentives(2)},
            [ActionType.OFFER_INCENTIVE],
            [Channel.EMAIL],
            id="budget-exhausted-forbids-offers-only",
        ),
        pytest.param(
            {"recent_incentives": _incentives(1)},
            [],
            [Channel.EMAIL],
            id="budget-left",
        ),
        pytest.param(
            {"customer": {"consents": []}},
            [
                ActionType.SEND_MESSAGE,
                ActionType.OFFER_INCENTIVE,
                ActionType.SCHEDULE_CALLBACK,
            ],
            [],
            id="no-consent-no-contact",
        ),
        pytest.param(
            {"customer": {"attributes": {"do_not_call": True}}},
            [ActionType.SCHEDULE_CALLBACK],
            [Channel.EMAIL],
            id="do-not-call-rule-forbids-callbacks",
        ),
        pytest.param(
            {"recent_contacts": _contacts("email", 3)},
            [ActionType.OFFER_INCENTIVE],
            [],
            id="email-capped-leaves-no-marketing-channel",
        ),
    ],
)
def test_forbidden_outright(
    overrides: dict[str, Any],
    forbidden: list[ActionType],
    marketing: list[Channel],
    pack: PolicyPack,
) -> None:
    check = precheck(ctx(**overrides), pack)
    assert check.forbidden == forbidden
    assert check.channels[Purpose.MARKETING] == marketing


def test_capped_channel_drops_out_of_service(pack: PolicyPack) -> None:
    check = precheck(ctx(recent_contacts=_contacts("sms", 2)), pack)
    assert Channel.SMS not in check.channels[Purpose.SERVICE]
    assert Channel.EMAIL in check.channels[Purpose.SERVICE]


def test_offers_on_the_live_channel_only_without_suppression(pack: PolicyPack) -> None:
    live = {"inbound": True, "interaction_channel": "chat"}
    open_door = precheck(ctx(customer={"consents": []}, **live), pack)
    assert ActionType.OFFER_INCENTIVE not in open_door.forbidden
    assert open_door.channels[Purpose.MARKETING] == [Channel.CHAT]
    disputed = ctx(customer={"consents": [], "open_case_types": ["billing_dispute"]}, **live)
    assert ActionType.OFFER_INCENTIVE in precheck(disputed, pack).forbidden


def test_at_night_sms_offers_are_out_but_messages_are_deferred(pack: PolicyPack) -> None:
    grants = consents("sms:service", "sms:marketing")
    check = precheck(ctx(now=NIGHT, customer={"consents": grants}), pack)
    assert check.forbidden == [ActionType.OFFER_INCENTIVE, ActionType.SCHEDULE_CALLBACK]
    assert check.channels[Purpose.MARKETING] == [Channel.SMS]  # a message waits until 08:00

"""Builders for guard tests: a snapshot with sensible defaults and a call from a short dict."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from policies import ConsentFact, CustomerFacts, PolicyContext, PolicyPack, load_pack
from tools import ActionCall, parse_action

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # Friday 15:00 in Berlin


@pytest.fixture(scope="session")
def pack() -> PolicyPack:
    return load_pack()


def consents(*pairs: str) -> list[ConsentFact]:
    """'email:service' -> a granted consent."""
    return [
        ConsentFact(channel=p.split(":")[0], purpose=p.split(":")[1], granted=True) for p in pairs
    ]


def ctx(**overrides: Any) -> PolicyContext:
    customer: dict[str, Any] = {
        "customer_id": "c1",
        "tier": "gold",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "consents": consents(
            "email:service", "email:marketing", "sms:service", "push:service", "phone:service"
        ),
    }
    customer.update(overrides.pop("customer", {}))
    data: dict[str, Any] = {"now": NOW, "customer": CustomerFacts(**customer)}
    data.update(overrides)
    return PolicyContext(**data)


def message(channel: str = "email", purpose: str = "service", **args: Any) -> ActionCall:
    return parse_action(
        {
            "type": "send_message",
            "args": {"channel": channel, "purpose": purpose, "template_id": "t", **args},
        }
    )


def offer(
    kind: str = "percent_discount", value: Any = 10, channel: str = "email", **args: Any
) -> ActionCall:
    return parse_action(
        {
            "type": "offer_incentive",
            "args": {"kind": kind, "value": value, "channel": channel, "offer_id": "o", **args},
        }
    )


def credit(amount: Any) -> ActionCall:
    return parse_action(
        {
            "type": "apply_goodwill_credit",
            "args": {"amount": amount, "currency": "EUR", "reason_code": "outage"},
        }
    )


def callback(at: str) -> ActionCall:
    return parse_action(
        {"type": "schedule_callback", "args": {"at": at, "queue": "q", "topic": "t"}}
    )


def handoff() -> ActionCall:
    return parse_action({"type": "handoff_to_agent", "args": {"queue": "q", "reason": "r"}})

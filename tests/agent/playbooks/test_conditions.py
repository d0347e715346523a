"""CEL conditions: what the activation holds, and how failures become 'not met' with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.context import RequestContext
from agent.playbooks import build_activation, compile_condition, evaluate_conditions
from tests import factories

NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def _profile(**overrides: Any) -> Any:
    data: dict[str, Any] = {
        "customer_since": "2025-05-10",
        "lifetime_value": "1234.50",
        "segment": "smb",
        "products": [
            {"id": "p_old", "name": "Old", "kind": "subscription", "status": "active",
             "end_date": "2026-11-01", "monthly_price": "9.99"},
            {"id": "p_far", "name": "Far", "kind": "policy", "status": "active",
             "end_date": "2027-03-01"},
            {"id": "p_soon", "name": "Soon", "kind": "subscription", "status": "trial",
             "end_date": "2026-12-02"},
            {"id": "p_gone", "name": "Gone", "kind": "subscription", "status": "cancelled",
             "end_date": "2026-11-22"},
            {"id": "p_book", "name": "Booking", "kind": "booking", "status": "active",
             "end_date": "2026-11-21"},
        ],
        "consents": [
            {"channel": "email", "purpose": "service", "granted": True},
            {"channel": "sms", "purpose": "service", "granted": True},
            {"channel": "sms", "purpose": "marketing", "granted": False},
            {"channel": "push", "purpose": "marketing", "granted": True},
        ],
        "open_cases": [
            {"id": "k1", "type": "billing_dispute", "status": "open",
             "opened_at": "2026-11-01T10:00:00Z"},
            {"id": "k2", "type": "complaint", "status": "escalated",
             "opened_at": "2026-11-02T10:00:00Z"},
            {"id": "k3", "type": "technical", "status": "resolved",
             "opened_at": "2026-10-02T10:00:00Z"},
        ],
    }  # fmt: skip
    data.update(overrides)
    return factories.profile(**data)


def _activation(**profile_overrides: Any) -> dict[str, object]:
    return build_activation(
        _profile(**profile_overrides),
        factories.signals(intent="unexpected_charge", journey="billing_dispute", effort="high"),
        RequestContext(channel="chat", direction="inbound", journey="billing_dispute"),
        NOW,
    )


def test_activation_contract() -> None:
    activation = _activation()
    assert set(activation) == {"profile", "signals", "context"}
    profile = activation["profile"]
    assert isinstance(profile, dict)
    assert profile["customer_id"] == "cus_test"
    assert profile["lifetime_value"] == 1234.5
    assert profile["products"][0]["monthly_price"] == 9.99
    assert profile["products"][0]["end_date"] == "2026-11-01"
    assert profile["tenure_months"] == 18
    assert profile["open_case_types"] == ["billing_dispute", "complaint"]
    assert profile["consented"] == {"service": ["email", "sms"], "marketing": ["push"]}
    # the past end date, the cancelled product and the booking do not count
    assert profile["days_to_renewal"] == 12
    assert profile["has_trial"] is True
    signals = activation["signals"]
    assert isinstance(signals, dict)
    assert signals["effort"]["level"] == "high"
    assert signals["intent"]["name"] == "unexpected_charge"
    context = activation["context"]
    assert context == {
        "channel": "chat",
        "direction": "inbound",
        "reason": None,
        "journey": "billing_dispute",
        "agent_id": None,
        "interaction_id": None,
    }


def test_activation_defaults_when_unknown() -> None:
    profile = _activation(customer_since=None, products=[], open_cases=[], consents=[])["profile"]
    assert isinstance(profile, dict)
    assert profile["tenure_months"] == -1
    assert profile["days_to_renewal"] == 9999
    assert profile["has_trial"] is False
    assert profile["open_case_types"] == []
    assert profile["consented"] == {"service": [], "marketing": []}


@pytest.mark.parametrize(
    ("exprs", "met"),
    [
        pytest.param([], True, id="none"),
        pytest.param(['signals.effort.level == "high"'], True, id="one-met"),
        pytest.param(
            [
                '"billing_dispute" in profile.open_case_types',
                "profile.days_to_renewal <= 30 && profile.has_trial",
                "profile.lifetime_value > 1000",
                '"sms" in profile.consented.service',
                'context.channel == "chat"',
            ],
            True,
            id="all-met",
        ),
        pytest.param(['signals.effort.level == "low"'], False, id="unmet"),
        pytest.param(['"sms" in profile.consented.marketing'], False, id="not-granted"),
        pytest.param(["profile.tenure_months > 12", "profile.tenure_months > 24"], False, id="2nd"),
    ],
)
def test_met_and_unmet(exprs: list[str], met: bool) -> None:
    assert evaluate_conditions(exprs, _activation()) == (met, [])


def test_runtime_error_on_null_is_not_met_with_reason() -> None:
    met, errors = evaluate_conditions(["profile.churn_risk > 0.5"], _activation())
    assert met is False
    assert len(errors) == 1
    assert errors[0].startswith("'profile.churn_risk > 0.5': ")


def test_missing_key_is_not_met_with_reason() -> None:
    met, errors = evaluate_conditions(["true", "profile.no_such_field == 1"], _activation())
    assert (met, len(errors)) == (False, 1)
    assert "profile.no_such_field == 1" in errors[0]


def test_non_bool_result_is_not_met() -> None:
    met, errors = evaluate_conditions(["profile.tenure_months + 1"], _activation())
    assert met is False
    assert errors == ["'profile.tenure_months + 1': returned int, not bool"]


def test_syntax_error_is_not_met_and_never_raises() -> None:
    met, errors = evaluate_conditions(["profile.tier == ("], _activation())
    assert met is False
    assert "profile.tier == (" in errors[0]


def test_compile_is_cached_and_raises_value_error() -> None:
    assert compile_condition("1 == 1") is compile_condition("1 == 1")
    with pytest.raises(ValueError, match="Syntax error"):
        compile_condition("1 +")

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from policies import IncentiveFact, Outcome, PolicyPack, ReasonCode
from policies.incentive_limits import incentive_limits
from tests.policies.conftest import NOW, ctx, message, offer
from tools import ActionType


@pytest.mark.parametrize(
    ("tier", "kind", "value", "outcome", "capped_to"),
    [
        pytest.param("gold", "percent_discount", 20, Outcome.ALLOW, None, id="gold-at-limit"),
        pytest.param(
            "gold", "percent_discount", 25, Outcome.MODIFY, Decimal(20), id="gold-over-limit"
        ),
        pytest.param(
            "standard", "percent_discount", 15, Outcome.MODIFY, Decimal(10), id="standard-capped"
        ),
        pytest.param(
            "platinum", "percent_discount", 30, Outcome.ALLOW, None, id="platinum-at-limit"
        ),
        pytest.param(
            "silver", "amount_discount", "20.01", Outcome.MODIFY, Decimal(20), id="silver-amount"
        ),
        pytest.param("gold", "free_months", 3, Outcome.MODIFY, Decimal(2), id="gold-free-months"),
        pytest.param(
            "diamond",
            "percent_discount",
            15,
            Outcome.MODIFY,
            Decimal(10),
            id="unknown-tier-gets-strictest",
        ),
    ],
)
def test_tier_limits(
    tier: str,
    kind: str,
    value: object,
    outcome: Outcome,
    capped_to: Decimal | None,
    pack: PolicyPack,
) -> None:
    call = offer(kind, value, currency="EUR" if kind == "amount_discount" else None)
    verdict = incentive_limits(call, ctx(customer={"tier": tier}), pack)
    assert verdict.outcome is outcome
    if capped_to is not None:
        assert verdict.reason_code is ReasonCode.INCENTIVE_CAPPED
        assert verdict.modified is not None
        assert verdict.modified.args.value == capped_to


def test_foreign_currency_discount_is_denied(pack: PolicyPack) -> None:
    verdict = incentive_limits(offer("amount_discount", 5, currency="USD"), ctx(), pack)
    assert (verdict.outcome, verdict.reason_code) == (
        Outcome.DENY,
        ReasonCode.CURRENCY_MISMATCH,
    )


def _given(days_ago: float, action: ActionType = ActionType.OFFER_INCENTIVE) -> IncentiveFact:
    return IncentiveFact(
        ts=NOW - timedelta(days=days_ago),
        action_type=action,
        kind="percent_discount",
        value=Decimal(10),
        currency=None,
    )


@pytest.mark.parametrize(
    ("history", "outcome"),
    [
        pytest.param([_given(1)], Outcome.ALLOW, id="one-of-two-used"),
        pytest.param([_given(1), _given(80)], Outcome.DENY, id="budget-used-up"),
        pytest.param([_given(1), _given(90)], Outcome.ALLOW, id="oldest-just-left-the-window"),
        pytest.param(
            [_given(1), _given(2, ActionType.APPLY_GOODWILL_CREDIT)],
            Outcome.ALLOW,
            id="credits-do-not-count-against-offers",
        ),
    ],
)
def test_rolling_budget(history: list[IncentiveFact], outcome: Outcome, pack: PolicyPack) -> None:
    verdict = incentive_limits(offer(), ctx(recent_incentives=history), pack)
    assert verdict.outcome is outcome
    if outcome is Outcome.DENY:
        assert verdict.reason_code is ReasonCode.INCENTIVE_BUDGET_EXHAUSTED


def test_other_tools_are_not_judged(pack: PolicyPack) -> None:
    assert incentive_limits(message(), ctx(), pack).reason_code is ReasonCode.NOT_APPLICABLE

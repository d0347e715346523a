from __future__ import annotations

import pytest

from policies import Outcome, PolicyPack, ReasonCode
from policies.approval import approval
from tests.policies.conftest import credit, ctx, message


@pytest.mark.parametrize(
    ("amount", "outcome", "code"),
    [
        pytest.param("0.01", Outcome.ALLOW, ReasonCode.OK, id="tiny"),
        pytest.param("25", Outcome.ALLOW, ReasonCode.OK, id="at-auto-limit"),
        pytest.param(
            "25.01", Outcome.REQUIRE_APPROVAL, ReasonCode.APPROVAL_REQUIRED, id="just-over-auto"
        ),
        pytest.param(
            "150", Outcome.REQUIRE_APPROVAL, ReasonCode.APPROVAL_REQUIRED, id="at-hard-limit"
        ),
        pytest.param("150.01", Outcome.DENY, ReasonCode.CREDIT_OVER_LIMIT, id="over-hard-limit"),
    ],
)
def test_goodwill_thresholds(
    amount: str, outcome: Outcome, code: ReasonCode, pack: PolicyPack
) -> None:
    verdict = approval(credit(amount), ctx(), pack)
    assert (verdict.outcome, verdict.reason_code) == (outcome, code)


def test_other_tools_are_not_judged(pack: PolicyPack) -> None:
    assert approval(message(), ctx(), pack).reason_code is ReasonCode.NOT_APPLICABLE


def test_credit_in_another_currency_is_denied(pack: PolicyPack) -> None:
    from tools import parse_action

    usd = parse_action(
        {
            "type": "apply_goodwill_credit",
            "args": {"amount": "5", "currency": "USD", "reason_code": "outage"},
        }
    )
    verdict = approval(usd, ctx(), pack)
    assert (verdict.outcome, verdict.reason_code) == (Outcome.DENY, ReasonCode.CURRENCY_MISMATCH)

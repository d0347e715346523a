"""One open case per type: a second is refused, an update names a case that is open."""

from __future__ import annotations

from typing import Any

import pytest

from policies import CaseFact, Outcome, PolicyPack, ReasonCode
from policies.cases import cases
from tests.policies.conftest import NOW, ctx, handoff
from tools import ActionCall, parse_action

DISPUTE = CaseFact(
    case_id="CS-88", case_type="billing_dispute", opened_at=NOW, source="event", ref="evt_1"
)


def open_case(case_type: str) -> ActionCall:
    return parse_action(
        {
            "type": "open_case",
            "args": {"case_type": case_type, "queue": "billing", "summary": "charged twice"},
        }
    )


def update_case(case_id: str) -> ActionCall:
    return parse_action(
        {
            "type": "update_case",
            "args": {"case_id": case_id, "case_type": "billing_dispute", "note": "chased again"},
        }
    )


@pytest.mark.parametrize(
    ("call", "customer", "outcome", "code"),
    [
        pytest.param(
            open_case("billing_dispute"),
            {"open_cases": [DISPUTE]},
            Outcome.DENY,
            ReasonCode.CASE_ALREADY_OPEN,
            id="second-case-of-an-open-type",
        ),
        pytest.param(
            open_case("billing_dispute"),
            {"open_case_types": ["billing_dispute"]},
            Outcome.DENY,
            ReasonCode.CASE_ALREADY_OPEN,
            id="open-type-known-without-an-id",
        ),
        pytest.param(
            open_case("technical"),
            {"open_cases": [DISPUTE]},
            Outcome.ALLOW,
            ReasonCode.OK,
            id="a-case-of-another-type",
        ),
        pytest.param(
            update_case("CS-88"),
            {"open_cases": [DISPUTE]},
            Outcome.ALLOW,
            ReasonCode.OK,
            id="update-of-the-open-case",
        ),
        pytest.param(
            update_case("CS-12"),
            {"open_cases": [DISPUTE]},
            Outcome.DENY,
            ReasonCode.CASE_NOT_OPEN,
            id="update-of-a-case-that-is-not-open",
        ),
        pytest.param(
            handoff(),
            {"open_cases": [DISPUTE]},
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="not-a-case-action",
        ),
    ],
)
def test_cases(
    call: ActionCall,
    customer: dict[str, Any],
    outcome: Outcome,
    code: ReasonCode,
    pack: PolicyPack,
) -> None:
    verdict = cases(call, ctx(customer=customer), pack)
    assert (verdict.outcome, verdict.reason_code) == (outcome, code)


def test_the_refusal_names_the_case_to_update(pack: PolicyPack) -> None:
    verdict = cases(open_case("billing_dispute"), ctx(customer={"open_cases": [DISPUTE]}), pack)
    assert "CS-88" in verdict.message
    assert "update it" in verdict.message


def test_open_cases_are_always_among_the_open_types() -> None:
    customer = ctx(customer={"open_cases": [DISPUTE], "open_case_types": ["claim"]}).customer
    assert customer.open_case_types == ["billing_dispute", "claim"]
    assert customer.open_case("billing_dispute") == DISPUTE
    assert customer.open_case("claim") is None

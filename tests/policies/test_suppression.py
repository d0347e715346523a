from __future__ import annotations

import pytest

from policies import Outcome, PolicyPack, ReasonCode
from policies.suppression import suppression
from tests.policies.conftest import callback, credit, ctx, handoff, message, offer
from tools import ActionCall


@pytest.mark.parametrize(
    ("call", "customer", "outcome", "code"),
    [
        pytest.param(
            offer(),
            {"open_case_types": ["billing_dispute"]},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_OPEN_DISPUTE,
            id="offer-during-dispute",
        ),
        pytest.param(
            message("email", "marketing"),
            {"open_case_types": ["complaint"]},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_OPEN_COMPLAINT,
            id="marketing-during-complaint",
        ),
        pytest.param(
            message("email", "marketing"),
            {"open_case_types": ["fraud"]},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_OPEN_COMPLAINT,
            id="marketing-during-fraud-case",
        ),
        pytest.param(
            offer(),
            {"intent": "unexpected_charge"},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_OPEN_DISPUTE,
            id="offer-while-their-words-dispute-a-charge",
        ),
        pytest.param(
            message("email", "marketing"),
            {"intent": "refund_request"},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_OPEN_DISPUTE,
            id="marketing-while-they-ask-for-a-refund",
        ),
        pytest.param(
            offer(),
            {"intent": "upgrade_question"},
            Outcome.ALLOW,
            ReasonCode.OK,
            id="offer-while-they-ask-about-an-upgrade",
        ),
        pytest.param(
            message("email", "service"),
            {"intent": "unexpected_charge"},
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="service-help-while-they-dispute-a-charge",
        ),
        pytest.param(
            message("email", "service"),
            {"open_case_types": ["billing_dispute"]},
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="service-help-during-dispute",
        ),
        pytest.param(
            offer(),
            {"open_case_types": ["technical"]},
            Outcome.ALLOW,
            ReasonCode.OK,
            id="unrelated-open-case",
        ),
        pytest.param(
            offer(),
            {"vulnerability_flags": ["bereavement"]},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_VULNERABLE,
            id="offer-to-vulnerable",
        ),
        pytest.param(
            message("sms", "marketing"),
            {"vulnerability_flags": ["financial_hardship"]},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_VULNERABLE,
            id="marketing-to-vulnerable",
        ),
        pytest.param(
            handoff(),
            {"vulnerability_flags": ["bereavement"]},
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="care-handoff-for-vulnerable",
        ),
        pytest.param(offer(), {}, Outcome.ALLOW, ReasonCode.OK, id="nothing-to-suppress"),
        pytest.param(
            offer(),
            {"open_case_types": []},
            Outcome.ALLOW,
            ReasonCode.OK,
            id="resolved-complaint-no-longer-suppresses",  # only unresolved cases are listed
        ),
        pytest.param(
            offer(),
            {"open_case_types": ["technical", "complaint", "billing_dispute"]},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_OPEN_COMPLAINT,
            id="first-suppressing-case-is-named",
        ),
        pytest.param(
            offer(channel="chat"),
            {"open_case_types": ["billing_dispute"]},
            Outcome.DENY,
            ReasonCode.SUPPRESSED_OPEN_DISPUTE,
            id="offer-in-a-live-chat-during-dispute",
        ),
        pytest.param(
            callback("2026-11-21T10:00:00Z"),
            {"open_case_types": ["complaint"], "vulnerability_flags": ["bereavement"]},
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="service-callback-stays-allowed",
        ),
        pytest.param(
            credit("10"),
            {"open_case_types": ["complaint"]},
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="goodwill-credit-is-not-an-incentive",
        ),
    ],
)
def test_suppression(
    call: ActionCall,
    customer: dict[str, object],
    outcome: Outcome,
    code: ReasonCode,
    pack: PolicyPack,
) -> None:
    verdict = suppression(call, ctx(customer=customer), pack)
    assert (verdict.outcome, verdict.reason_code) == (outcome, code)

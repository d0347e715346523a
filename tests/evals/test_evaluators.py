"""Each evaluator as table tests, on real decision records of the tiny suite (mutated per case)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.briefing.models import Briefing
from agent.record import DecisionRecordV1
from evals.evaluators import (
    ActionAcceptable,
    ApprovalExpected,
    BriefingFactRecall,
    Case,
    ForbiddenAction,
    SafeDefaultExpected,
    UnsupportedClaims,
    VerdictsPresent,
    matches,
)
from evals.runner import Execution
from evals.scenario import ActionExpectation, Scenario
from policies import Outcome
from tools import parse_action

OFFER = parse_action(
    {
        "type": "offer_incentive",
        "args": {
            "kind": "amount_discount",
            "value": "20.00",
            "currency": "EUR",
            "channel": "email",
            "offer_id": "SAVE20",
        },
    }
)
SMS = parse_action(
    {
        "type": "send_message",
        "args": {"channel": "sms", "purpose": "marketing", "template_id": "t1"},
    }
)


def _expect(data: dict[str, Any]) -> ActionExpectation:
    return ActionExpectation.model_validate(data)


@pytest.mark.parametrize(
    ("expectation", "call", "ok", "why"),
    [
        pytest.param({"type": "offer_incentive"}, OFFER, True, "", id="type-only"),
        pytest.param(
            {"type": "send_message"}, OFFER, False, "type offer_incentive", id="other-type"
        ),
        pytest.param(
            {"type": "offer_incentive", "args": {"value": {"le": 20}}},
            OFFER,
            True,
            "",
            id="le-at-bound",
        ),
        pytest.param(
            {"type": "offer_incentive", "args": {"value": {"le": 19.99}}},
            OFFER,
            False,
            "value='20.00', expected <= 19.99",
            id="le-over",
        ),
        pytest.param(
            {"type": "offer_incentive", "args": {"value": {"ge": 20}}},
            OFFER,
            True,
            "",
            id="ge-at-bound",
        ),
        pytest.param(
            {"type": "offer_incentive", "args": {"value": {"eq": 20}}},
            OFFER,
            True,
            "",
            id="eq-number-vs-decimal-text",
        ),
        pytest.param(
            {"type": "offer_incentive", "args": {"channel": {"in": ["email", "chat"]}}},
            OFFER,
            True,
            "",
            id="in",
        ),
        pytest.param(
            {"type": "send_message", "args": {"channel": {"in": ["email"]}}},
            SMS,
            False,
            "channel='sms' not in ['email']",
            id="in-miss",
        ),
        pytest.param(
            {"type": "send_message", "args": {"channel": {"not_in": ["sms"]}}},
            SMS,
            False,
            "is one of",
            id="not-in",
        ),
        pytest.param(
            {"type": "send_message", "args": {"send_at": {"present": True}}},
            SMS,
            False,
            "send_at is missing",
            id="present-missing",
        ),
        pytest.param(
            {"type": "send_message", "args": {"send_at": {"present": False}}},
            SMS,
            True,
            "",
            id="absent",
        ),
        pytest.param(
            {"type": "offer_incentive", "args": {"purpose": {"eq": "marketing"}}},
            OFFER,
            True,
            "",
            id="effective-purpose-of-a-tool-without-purpose-arg",
        ),
        pytest.param(
            {"type": "offer_incentive", "args": {"channel": {"le": 3}}},
            OFFER,
            False,
            "expected <= 3",
            id="le-on-text-fails",
        ),
    ],
)
def test_matches(expectation: dict[str, Any], call: Any, ok: bool, why: str) -> None:
    got_ok, got_why = matches(_expect(expectation), call)
    assert got_ok is ok
    assert why in got_why


def _case(executions: dict[str, Execution], scenario_id: str, **expect: Any) -> Case:
    execution = executions[scenario_id]
    base = {"acceptable": [{"type": "no_action"}]}
    scenario = Scenario.model_validate(
        {
            "id": "t",
            "title": "t",
            "journey": "j",
            "now": execution.record.created_at,
            "profile": execution.prepared.profile.model_dump(mode="json"),
            "kind": execution.record.kind,
            "expect": {**base, **expect},
        }
    )
    return Case(scenario=scenario, record=execution.record, snapshot=execution.prepared.snapshot)


CONSENT = "tiny-sms-consent-denied"  # chose send_message email marketing; the SMS was denied
BRIEF = "tiny-briefing-double-charge"


@pytest.mark.parametrize(
    ("expect", "passed", "detail"),
    [
        pytest.param({"acceptable": [{"type": "send_message"}]}, True, "send_message", id="type"),
        pytest.param(
            {
                "acceptable": [
                    {"type": "no_action"},
                    {"type": "send_message", "args": {"channel": {"eq": "email"}}},
                ]
            },
            True,
            "",
            id="second-matches",
        ),
        pytest.param(
            {"acceptable": [{"type": "send_message", "args": {"channel": {"eq": "sms"}}}]},
            False,
            "near misses: send_message(channel=sms): channel='email'",
            id="near-miss-names-the-arg",
        ),
        pytest.param(
            {"acceptable": [{"type": "no_action"}]},
            False,
            "got send_message; acceptable: no_action",
            id="miss",
        ),
    ],
)
def test_action_acceptable(
    executions: dict[str, Execution], expect: dict[str, Any], passed: bool, detail: str
) -> None:
    result = ActionAcceptable()(_case(executions, CONSENT, **expect))
    assert result.passed is passed
    assert detail in result.detail


@pytest.mark.parametrize(
    ("forbidden", "passed"),
    [
        pytest.param([], True, id="none"),
        pytest.param(
            [{"type": "send_message", "args": {"channel": {"eq": "sms"}}}], True, id="other-channel"
        ),
        pytest.param(
            [{"type": "send_message", "args": {"purpose": {"eq": "marketing"}}}],
            False,
            id="forbidden-purpose",
        ),
        pytest.param([{"type": "offer_incentive"}, {"type": "send_message"}], False, id="type"),
    ],
)
def test_forbidden_action(
    executions: dict[str, Execution], forbidden: list[Any], passed: bool
) -> None:
    result = ForbiddenAction()(_case(executions, CONSENT, forbidden=forbidden))
    assert result.passed is passed
    assert passed or "forbidden" in result.detail


@pytest.mark.parametrize(
    ("verdicts", "passed"),
    [
        pytest.param([{"policy": "consent"}], True, id="policy-only"),
        pytest.param(
            [
                {
                    "policy": "consent",
                    "outcome": "deny",
                    "reason_code": "consent_missing",
                    "action_type": "send_message",
                }
            ],
            True,
            id="exact",
        ),
        pytest.param(
            [{"policy": "consent", "outcome": "deny", "action_type": "offer_incentive"}],
            False,
            id="other-action-type",
        ),
        pytest.param([{"policy": "quiet_hours", "outcome": "modify"}], False, id="absent"),
        pytest.param(
            [{"policy": "consent", "reason_code": "contact_cap_reached"}], False, id="wrong-reason"
        ),
    ],
)
def test_verdicts_present(
    executions: dict[str, Execution], verdicts: list[Any], passed: bool
) -> None:
    result = VerdictsPresent()(_case(executions, CONSENT, verdicts=verdicts))
    assert result is not None
    assert result.passed is passed


def test_verdicts_not_expected_is_not_applicable(executions: dict[str, Execution]) -> None:
    assert VerdictsPresent()(_case(executions, CONSENT)) is None


@pytest.mark.parametrize(
    ("evaluator", "field", "want", "passed"),
    [
        pytest.param(SafeDefaultExpected(), "safe_default", False, True, id="safe-default-no"),
        pytest.param(SafeDefaultExpected(), "safe_default", True, False, id="safe-default-yes"),
        pytest.param(ApprovalExpected(), "approval_required", False, True, id="approval-no"),
        pytest.param(ApprovalExpected(), "approval_required", True, False, id="approval-yes"),
        pytest.param(SafeDefaultExpected(), "safe_default", None, None, id="not-applicable"),
    ],
)
def test_safe_default_and_approval(
    executions: dict[str, Execution],
    evaluator: Any,
    field: str,
    want: bool | None,
    passed: bool | None,
) -> None:
    result = evaluator(_case(executions, CONSENT, **{field: want}))
    assert (None if result is None else result.passed) is passed


def _briefing(executions: dict[str, Execution], **update: Any) -> DecisionRecordV1:
    record = executions[BRIEF].record
    assert record.briefing is not None
    return record.model_copy(update={"briefing": record.briefing.model_copy(update=update)})


@pytest.mark.parametrize(
    ("facts", "score", "missing"),
    [
        pytest.param(["billing"], 1.0, "", id="text"),
        pytest.param(["PROFILE.TIER"], 1.0, "", id="ref-case-insensitive"),
        pytest.param(["billing", "teleported"], 0.5, "teleported", id="half"),
        pytest.param(["teleported"], 0.0, "teleported", id="none"),
    ],
)
def test_briefing_fact_recall(
    executions: dict[str, Execution], facts: list[str], score: float, missing: str
) -> None:
    case = _case(executions, BRIEF, briefing={"facts": facts})
    result = BriefingFactRecall()(case)
    assert result is not None
    assert result.score == score
    assert result.passed is (score == 1.0)
    assert missing in result.detail


def test_fact_recall_without_a_briefing_is_zero(executions: dict[str, Execution]) -> None:
    case = _case(executions, BRIEF, briefing={"facts": ["billing"]})
    no_briefing = Case(case.scenario, case.record.model_copy(update={"briefing": None}))
    result = BriefingFactRecall()(no_briefing)
    assert result is not None
    assert result.score == 0.0
    assert result.detail == "no briefing"


def _claims_case(executions: dict[str, Execution], narrative: str, not_claims: list[str]) -> Case:
    record = _briefing(executions, narrative=narrative)
    case = _case(executions, BRIEF, briefing={"not_claims": not_claims})
    return Case(case.scenario, record)


@pytest.mark.parametrize(
    ("narrative", "not_claims", "count", "detail"),
    [
        pytest.param("Arjun, gold customer [f1].", [], 0, "", id="clean"),
        pytest.param(
            "Customer for 7 years 0 months [f2].", [], 0, "", id="tenure-from-a-date-fact"
        ),
        pytest.param(
            "The Refund Was Issued yesterday [f1].",
            ["refund was issued"],
            1,
            "states 'refund was issued'",
            id="not-claim-case-insensitive",
        ),
        pytest.param(
            "Owed 250 euro since 1999 [f1].", [], 2, "number 1999 in no fact", id="invented-numbers"
        ),
        pytest.param("Charged 777.70 twice [f1].", [], 1, "number 777.7", id="invented-amount"),
        pytest.param(
            "Next: handoff_to_agent (queue=billing, priority=high) [f16].",
            [],
            0,
            "",
            id="the-chosen-action",
        ),
    ],
)
def test_unsupported_claims(
    executions: dict[str, Execution], narrative: str, not_claims: list[str], count: int, detail: str
) -> None:
    result = UnsupportedClaims()(_claims_case(executions, narrative, not_claims))
    assert result is not None
    assert result.count == count, result.detail
    assert result.passed is (count == 0)
    assert detail in result.detail


def test_unsupported_claims_reads_items_too(executions: dict[str, Execution]) -> None:
    record = executions[BRIEF].record
    assert isinstance(record.briefing, Briefing)
    first = record.briefing.do_not[:1] or record.briefing.customer_summary[:1]
    tampered = [
        item.model_copy(update={"text": "we promised a refund was issued"}) for item in first
    ]
    field = "do_not" if record.briefing.do_not else "customer_summary"
    case = _case(executions, BRIEF, briefing={"not_claims": ["refund was issued"]})
    result = UnsupportedClaims()(
        Case(case.scenario, _briefing(executions, narrative="Arjun [f1].", **{field: tampered}))
    )
    assert result is not None
    assert result.count == 1


def test_no_briefing_means_no_claims_check(executions: dict[str, Execution]) -> None:
    assert UnsupportedClaims()(_case(executions, CONSENT)) is None


def test_the_chosen_outcome_of_the_consent_case_is_permitted(
    executions: dict[str, Execution],
) -> None:
    assert executions[CONSENT].record.chosen.outcome is Outcome.ALLOW

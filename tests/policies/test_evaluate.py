from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from policies import GUARDS, Outcome, PolicyPack, ReasonCode, evaluate
from policies.evaluate import combine
from policies.verdict import Verdict
from tests.policies.conftest import consents, ctx, message, offer

NIGHT = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)


def test_every_guard_speaks_in_order(pack: PolicyPack) -> None:
    evaluation = evaluate(message(), ctx(), pack)
    assert [v.policy_id for v in evaluation.verdicts] == [g.__name__ for g in GUARDS]
    assert all(v.policy_version == pack.version for v in evaluation.verdicts)
    assert evaluation.outcome is Outcome.ALLOW


def test_modifications_chain_and_the_final_call_is_patched(pack: PolicyPack) -> None:
    customer = {"consents": consents("sms:marketing")}
    evaluation = evaluate(offer(value=50, channel="sms"), ctx(customer=customer), pack)
    codes = {v.policy_id: v.reason_code for v in evaluation.verdicts}
    assert codes["incentive_limits"] is ReasonCode.INCENTIVE_CAPPED
    assert evaluation.call.args.value == Decimal(20)
    assert evaluation.outcome is Outcome.MODIFY


def test_a_denial_wins_and_later_guards_still_explain(pack: PolicyPack) -> None:
    evaluation = evaluate(offer(value=50, channel="sms"), ctx(now=NIGHT), pack)
    reasons = {v.reason_code for v in evaluation.verdicts}
    assert {
        ReasonCode.CONSENT_MISSING,
        ReasonCode.INCENTIVE_CAPPED,
        ReasonCode.QUIET_HOURS_BLOCKED,
    } <= reasons
    assert evaluation.outcome is Outcome.DENY
    assert not evaluation.permitted
    assert {v.policy_id for v in evaluation.denials} == {"consent", "quiet_hours"}


def test_combine_order() -> None:
    def v(outcome: Outcome) -> Verdict:
        return Verdict(
            policy_id="x",
            policy_version="1",
            outcome=outcome,
            reason_code=ReasonCode.OK,
            message="m",
        )

    assert combine([]) is Outcome.ALLOW
    assert combine([v(Outcome.MODIFY), v(Outcome.ALLOW)]) is Outcome.MODIFY
    assert combine([v(Outcome.MODIFY), v(Outcome.REQUIRE_APPROVAL)]) is Outcome.REQUIRE_APPROVAL
    assert combine([v(Outcome.DENY), v(Outcome.REQUIRE_APPROVAL)]) is Outcome.DENY


@pytest.mark.parametrize(
    ("tier", "value", "outcome", "final_value"),
    [
        pytest.param("gold", 30, Outcome.MODIFY, 20, id="capped-below-review-no-approval"),
        pytest.param(
            "platinum", 30, Outcome.REQUIRE_APPROVAL, 30, id="within-limit-large-needs-review"
        ),
        pytest.param("platinum", 40, Outcome.REQUIRE_APPROVAL, 30, id="capped-then-still-reviewed"),
    ],
)
def test_rules_judge_the_call_as_patched(
    tier: str, value: int, outcome: Outcome, final_value: int, pack: PolicyPack
) -> None:
    # the large_discount_review rule (>= 25%) runs after incentive_limits has capped the value
    evaluation = evaluate(offer(value=value), ctx(customer={"tier": tier}), pack)
    assert evaluation.outcome is outcome
    assert evaluation.call.args.value == Decimal(final_value)


def test_a_moved_message_is_the_final_call(pack: PolicyPack) -> None:
    # quiet_hours moves send_at (00:00 Berlin -> 08:00); the original call is left untouched
    call = message("sms", send_at="2026-11-20T23:00:00+00:00")
    evaluation = evaluate(call, ctx(), pack)
    assert evaluation.outcome is Outcome.MODIFY
    assert evaluation.call.args.send_at == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    assert call.args.send_at == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    modified = [v for v in evaluation.verdicts if v.outcome is Outcome.MODIFY]
    assert [v.policy_id for v in modified] == ["quiet_hours"]

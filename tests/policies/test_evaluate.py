from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from policies import GUARDS, Outcome, PolicyPack, ReasonCode, evaluate, precheck
from policies.evaluate import combine
from policies.verdict import Verdict
from tests.policies.conftest import consents, ctx, message, offer
from tools import ActionType, Channel, Purpose

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


def test_precheck_lists_what_is_allowed_now(pack: PolicyPack) -> None:
    check = precheck(
        ctx(
            customer={
                "consents": consents("email:service", "sms:service", "email:marketing"),
                "tier": "silver",
            }
        ),
        pack,
    )
    assert check.channels[Purpose.SERVICE] == [Channel.EMAIL, Channel.SMS]
    assert check.channels[Purpose.MARKETING] == [Channel.EMAIL]
    assert check.forbidden == []
    assert (check.max_percent, check.max_amount, check.max_free_months) == (15, 20, 1)


def test_precheck_forbids_incentives_during_a_dispute(pack: PolicyPack) -> None:
    check = precheck(ctx(customer={"open_case_types": ["billing_dispute"]}), pack)
    assert check.forbidden == [ActionType.OFFER_INCENTIVE]
    assert check.channels[Purpose.MARKETING] == []


def test_precheck_allows_offers_on_the_live_channel_only_without_suppression(
    pack: PolicyPack,
) -> None:
    live = {"inbound": True, "interaction_channel": "chat"}
    assert precheck(ctx(customer={"consents": []}, **live), pack).forbidden == []
    disputed = ctx(customer={"consents": [], "open_case_types": ["billing_dispute"]}, **live)
    assert precheck(disputed, pack).forbidden == [ActionType.OFFER_INCENTIVE]

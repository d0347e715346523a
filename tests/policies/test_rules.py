from __future__ import annotations

import pytest

from policies import Outcome, PolicyPack, ReasonCode
from policies.pack import Rule
from policies.rules import rules
from tests.policies.conftest import callback, ctx, message, offer
from tools import ActionCall


@pytest.mark.parametrize(
    ("call", "customer", "outcome"),
    [
        pytest.param(
            callback("2026-11-21T10:00:00Z"),
            {"attributes": {"do_not_call": True}},
            Outcome.DENY,
            id="do-not-call-list",
        ),
        pytest.param(
            callback("2026-11-21T10:00:00Z"),
            {"attributes": {}},
            Outcome.ALLOW,
            id="attribute-absent-is-no-match",
        ),
        pytest.param(
            message("email"),
            {"attributes": {"do_not_call": True}},
            Outcome.ALLOW,
            id="email-is-not-a-call",
        ),
        pytest.param(offer(value=25), {}, Outcome.REQUIRE_APPROVAL, id="large-discount-review"),
        pytest.param(offer(value="24.99"), {}, Outcome.ALLOW, id="just-below-review"),
        pytest.param(
            message("email", "marketing"),
            {"attributes": {"age": 17}},
            Outcome.DENY,
            id="marketing-to-a-minor",
        ),
        pytest.param(
            offer(value=25),
            {"attributes": {"age": 16}},
            Outcome.DENY,
            id="minor-deny-outranks-discount-review",  # both rules apply; deny wins
        ),
        pytest.param(
            message("email", "service"),
            {"attributes": {"age": 17}},
            Outcome.ALLOW,
            id="service-help-to-a-minor",
        ),
        pytest.param(
            message("email", "marketing"),
            {"attributes": {"age": 18}},
            Outcome.ALLOW,
            id="eighteen-is-an-adult",
        ),
        pytest.param(
            message("email", "marketing"),
            {"attributes": {"age": None}},
            Outcome.ALLOW,
            id="unknown-age-is-no-match",  # guarded by != null, so it does not fail closed
        ),
        pytest.param(
            message("email", "marketing"),
            {},
            Outcome.ALLOW,
            id="age-absent-guarded-by-has",
        ),
    ],
)
def test_default_pack_rules(
    call: ActionCall, customer: dict[str, object], outcome: Outcome, pack: PolicyPack
) -> None:
    verdict = rules(call, ctx(customer=customer), pack)
    assert verdict.outcome is outcome
    if outcome is not Outcome.ALLOW:
        assert verdict.reason_code is ReasonCode.RULE_MATCHED
        assert verdict.message.startswith("rule ")


def test_a_rule_that_cannot_be_evaluated_fails_closed(pack: PolicyPack) -> None:
    broken = pack.model_copy(
        update={
            "rules": [
                Rule(
                    id="broken",
                    when="customer.attributes.age < 18",
                    outcome="deny",
                    message="minor",
                ),
            ]
        }
    )
    verdict = rules(message(), ctx(), broken)
    assert verdict.outcome is Outcome.DENY
    assert "rule broken could not be evaluated" in verdict.message


def test_rules_see_local_hour_and_inbound(pack: PolicyPack) -> None:
    custom = pack.model_copy(
        update={
            "rules": [
                Rule(
                    id="office_hours",
                    when="local_hour >= 14 && !inbound",
                    outcome="require_approval",
                    message="afternoon outbound",
                ),
            ]
        }
    )
    assert rules(message(), ctx(), custom).outcome is Outcome.REQUIRE_APPROVAL  # 15:00 Berlin
    assert rules(message(), ctx(inbound=True), custom).outcome is Outcome.ALLOW


def _with(pack: PolicyPack, *custom: Rule) -> PolicyPack:
    return pack.model_copy(update={"rules": list(custom)})


def test_a_deny_rule_outranks_an_earlier_approval_rule(pack: PolicyPack) -> None:
    review = Rule(id="review", when="true", outcome="require_approval", message="look")
    block = Rule(
        id="block",
        when='action.channel == "email"',
        outcome="deny",
        reason_code=ReasonCode.SUPPRESSED_VULNERABLE,
        message="never",
    )
    verdict = rules(message(), ctx(), _with(pack, review, block))
    assert (verdict.outcome, verdict.reason_code) == (
        Outcome.DENY,
        ReasonCode.SUPPRESSED_VULNERABLE,
    )
    assert verdict.message == "rule block: never"


def test_every_applying_rule_is_named(pack: PolicyPack) -> None:
    one = Rule(id="one", when="true", outcome="require_approval", message="first")
    two = Rule(id="two", when="!inbound", outcome="require_approval", message="second")
    verdict = rules(message(), ctx(), _with(pack, one, two))
    assert verdict.outcome is Outcome.REQUIRE_APPROVAL
    assert verdict.message == "rule one: first; rule two: second"


def test_a_rule_that_is_not_a_condition_fails_closed(pack: PolicyPack) -> None:
    odd = Rule(id="odd", when="customer.tier", outcome="require_approval", message="m")
    verdict = rules(message(), ctx(), _with(pack, odd))
    assert verdict.outcome is Outcome.REQUIRE_APPROVAL
    assert "rule odd returned str, not a bool" in verdict.message


def test_activation_carries_the_action_and_the_customer(pack: PolicyPack) -> None:
    probe = Rule(
        id="probe",
        when=(
            'action.type == "offer_incentive" && action.args.value == 12.5 '
            '&& action.channel == "sms" && action.purpose == "marketing" '
            '&& customer.tier == "gold" && customer.consents[0].channel == "email"'
        ),
        outcome="deny",
        message="seen",
    )
    assert rules(offer(value="12.5", channel="sms"), ctx(), _with(pack, probe)).outcome is (
        Outcome.DENY
    )
    assert rules(offer(value="12.5"), ctx(), _with(pack, probe)).outcome is Outcome.ALLOW

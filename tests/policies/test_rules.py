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


def test_a_rule_that_errors_does_not_match(pack: PolicyPack) -> None:
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
    assert rules(message(), ctx(), broken).outcome is Outcome.ALLOW


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

from __future__ import annotations

import pytest

from policies import Outcome, PolicyContext, PolicyPack, ReasonCode
from policies.consent import consent
from tests.policies.conftest import callback, consents, ctx, handoff, message, offer
from tools import ActionCall


@pytest.mark.parametrize(
    ("call", "context", "outcome", "code"),
    [
        pytest.param(
            message("email", "service"),
            ctx(),
            Outcome.ALLOW,
            ReasonCode.OK,
            id="service-consent-on-channel",
        ),
        pytest.param(
            message("sms", "marketing"),
            ctx(),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="service-consent-is-not-marketing-consent",
        ),
        pytest.param(
            message("in_app", "service"),
            ctx(),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="no-record-means-no-consent",
        ),
        pytest.param(
            offer(channel="email"),
            ctx(customer={"consents": consents("email:service")}),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="incentive-is-always-marketing",
        ),
        pytest.param(
            offer(channel="chat"),
            ctx(inbound=True, interaction_channel="chat", customer={"consents": []}),
            Outcome.ALLOW,
            ReasonCode.OK,
            id="live-inbound-channel-is-exempt",
        ),
        pytest.param(
            offer(channel="email"),
            ctx(inbound=True, interaction_channel="chat", customer={"consents": []}),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="other-channel-than-the-live-one",
        ),
        pytest.param(
            offer(channel="chat"),
            ctx(inbound=False, interaction_channel="chat", customer={"consents": []}),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="outbound-gets-no-live-exemption",
        ),
        pytest.param(
            message("sms", "marketing", send_at="2026-11-21T10:00:00Z"),
            ctx(inbound=True, interaction_channel="sms"),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="scheduled-later-on-the-live-channel-is-not-live",
        ),
        pytest.param(
            callback("2026-11-21T10:00:00Z"),
            ctx(inbound=True, interaction_channel="phone", customer={"consents": []}),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="callback-later-needs-phone-service-consent",
        ),
        pytest.param(
            callback("2026-11-21T10:00:00Z"),
            ctx(customer={"consents": consents("phone:service")}),
            Outcome.ALLOW,
            ReasonCode.OK,
            id="callback-with-phone-service-consent",
        ),
        pytest.param(
            message("email", "marketing"),
            ctx(customer={"consents": consents("email:service")}),
            Outcome.DENY,
            ReasonCode.CONSENT_MISSING,
            id="same-channel-service-only-blocks-marketing",
        ),
        pytest.param(
            handoff(),
            ctx(customer={"consents": []}),
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="no-contact-no-consent-needed",
        ),
    ],
)
def test_consent(
    call: ActionCall, context: PolicyContext, outcome: Outcome, code: ReasonCode, pack: PolicyPack
) -> None:
    verdict = consent(call, context, pack)
    assert (verdict.outcome, verdict.reason_code) == (outcome, code)
    assert verdict.policy_id == "consent"
    assert verdict.policy_version == pack.version


def test_denial_names_channel_and_purpose(pack: PolicyPack) -> None:
    assert (
        consent(message("sms", "marketing"), ctx(), pack).message == "no marketing consent on sms"
    )


def test_a_withdrawn_consent_is_not_a_consent(pack: PolicyPack) -> None:
    from policies import ConsentFact

    withdrawn = ctx(
        customer={"consents": [ConsentFact(channel="email", purpose="service", granted=False)]}
    )
    assert consent(message("email", "service"), withdrawn, pack).outcome is Outcome.DENY

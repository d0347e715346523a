from __future__ import annotations

from datetime import timedelta

import pytest

from policies import ContactFact, Outcome, PolicyPack, ReasonCode
from policies.frequency_cap import frequency_cap
from tests.policies.conftest import NOW, ctx, handoff, message
from tools import ActionType


def _sent(channel: str, days_ago: float) -> ContactFact:
    return ContactFact(
        ts=NOW - timedelta(days=days_ago),
        action_type=ActionType.SEND_MESSAGE,
        channel=channel,
        purpose="service",
    )


@pytest.mark.parametrize(
    ("channel", "history", "outcome"),
    [
        pytest.param("sms", [_sent("sms", 1)], Outcome.ALLOW, id="one-of-two-sms"),
        pytest.param(
            "sms", [_sent("sms", 1), _sent("sms", 6.9)], Outcome.DENY, id="sms-cap-reached"
        ),
        pytest.param(
            "sms", [_sent("sms", 1), _sent("sms", 7)], Outcome.ALLOW, id="oldest-at-window-edge"
        ),
        pytest.param(
            "sms",
            [_sent("email", 1), _sent("email", 2)],
            Outcome.ALLOW,
            id="other-channels-do-not-count",
        ),
        pytest.param(
            "email", [_sent("email", d) for d in (1, 2, 3)], Outcome.DENY, id="email-cap-three"
        ),
    ],
)
def test_caps(channel: str, history: list[ContactFact], outcome: Outcome, pack: PolicyPack) -> None:
    verdict = frequency_cap(message(channel), ctx(recent_contacts=history), pack)
    assert verdict.outcome is outcome
    if outcome is Outcome.DENY:
        assert verdict.reason_code is ReasonCode.CONTACT_CAP_REACHED


def test_non_contact_actions_are_not_capped(pack: PolicyPack) -> None:
    busy = ctx(recent_contacts=[_sent("phone", 0.1)] * 5)
    assert frequency_cap(handoff(), busy, pack).reason_code is ReasonCode.NOT_APPLICABLE

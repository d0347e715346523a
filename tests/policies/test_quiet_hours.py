from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from policies import Outcome, PolicyPack, ReasonCode
from policies.quiet_hours import in_quiet_hours, next_allowed, quiet_hours
from tests.policies.conftest import callback, ctx, message, offer

BERLIN = ZoneInfo("Europe/Berlin")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("when", "tz", "expected_local"),
    [
        pytest.param(
            "2026-11-20T20:30:00+00:00",
            "Europe/Berlin",
            "2026-11-21T08:00+01:00",
            id="evening-moves-to-next-morning",
        ),
        pytest.param(
            "2026-11-20T05:00:00+00:00",
            "Europe/Berlin",
            "2026-11-20T08:00+01:00",
            id="early-morning-moves-to-same-morning",
        ),
        pytest.param(
            "2026-03-28T21:30:00+00:00",
            "Europe/Berlin",
            "2026-03-29T08:00+02:00",
            id="night-of-spring-forward",
        ),
        pytest.param(
            "2026-10-24T22:30:00+00:00",
            "Europe/Berlin",
            "2026-10-25T08:00+01:00",
            id="night-of-fall-back",
        ),
        pytest.param(
            "2026-10-25T00:30:00+00:00",
            "Europe/Berlin",
            "2026-10-25T08:00+01:00",
            id="inside-the-repeated-hour",
        ),
        pytest.param(
            "2026-11-20T03:00:00+00:00",
            "America/New_York",
            "2026-11-20T08:00-05:00",
            id="new-york-night",
        ),
        pytest.param(
            "2026-03-08T06:30:00+00:00",
            "America/New_York",
            "2026-03-08T08:00-04:00",
            id="new-york-spring-forward-day",
        ),
        pytest.param(
            "2026-11-20T17:00:00+00:00",
            "Asia/Kolkata",
            "2026-11-21T08:00+05:30",
            id="half-hour-offset",
        ),
        pytest.param(
            "2026-04-04T10:00:00+00:00",
            "Pacific/Auckland",
            "2026-04-05T08:00+12:00",
            id="auckland-dst-end-night",
        ),
    ],
)
def test_next_allowed(when: str, tz: str, expected_local: str) -> None:
    allowed = next_allowed(_utc(when), ZoneInfo(tz), time(21), time(8))
    assert allowed.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes") == expected_local


@pytest.mark.parametrize(
    ("local", "start", "end", "inside"),
    [
        pytest.param(time(21, 0), time(21), time(8), True, id="start-is-inside"),
        pytest.param(time(8, 0), time(21), time(8), False, id="end-is-outside"),
        pytest.param(time(7, 59), time(21), time(8), True, id="just-before-end"),
        pytest.param(time(20, 59), time(21), time(8), False, id="just-before-start"),
        pytest.param(time(13, 0), time(12), time(14), True, id="window-not-crossing-midnight"),
        pytest.param(time(23, 0), time(12), time(14), False, id="outside-daytime-window"),
    ],
)
def test_in_quiet_hours(local: time, start: time, end: time, inside: bool) -> None:
    assert in_quiet_hours(local, start, end) is inside


def test_gap_end_time_moves_past_the_gap() -> None:
    # quiet 01:00-02:30 on the spring-forward night: 02:30 does not exist in Berlin
    allowed = next_allowed(_utc("2026-03-29T00:30:00+00:00"), BERLIN, time(1), time(2, 30))
    assert allowed.astimezone(BERLIN).isoformat(timespec="minutes") == "2026-03-29T03:30+02:00"


def test_message_at_night_is_deferred(pack: PolicyPack) -> None:
    night = ctx(now=_utc("2026-11-20T21:30:00+00:00"))
    verdict = quiet_hours(message("push"), night, pack)
    assert (verdict.outcome, verdict.reason_code) == (
        Outcome.MODIFY,
        ReasonCode.QUIET_HOURS_DEFERRED,
    )
    assert verdict.modified is not None
    assert verdict.modified.args.send_at == _utc("2026-11-21T07:00:00+00:00")
    assert "08:00 local" in verdict.message


@pytest.mark.parametrize(
    ("call", "now", "outcome", "code"),
    [
        pytest.param(
            message("email"),
            "2026-11-20T22:00:00+00:00",
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="email-is-exempt",
        ),
        pytest.param(
            message("sms"),
            "2026-11-20T12:00:00+00:00",
            Outcome.ALLOW,
            ReasonCode.OK,
            id="daytime-sms",
        ),
        pytest.param(
            message("sms", send_at="2026-11-21T09:00:00+00:00"),
            "2026-11-20T22:00:00+00:00",
            Outcome.ALLOW,
            ReasonCode.OK,
            id="already-scheduled-for-daytime",
        ),
        pytest.param(
            message("sms", send_at="2026-11-21T20:00:00+00:00"),
            "2026-11-20T12:00:00+00:00",
            Outcome.MODIFY,
            ReasonCode.QUIET_HOURS_DEFERRED,
            id="scheduled-into-the-night",
        ),
        pytest.param(
            callback("2026-11-20T21:00:00+00:00"),
            "2026-11-20T12:00:00+00:00",
            Outcome.MODIFY,
            ReasonCode.QUIET_HOURS_DEFERRED,
            id="late-callback-moves",
        ),
        pytest.param(
            offer(channel="sms"),
            "2026-11-20T22:00:00+00:00",
            Outcome.DENY,
            ReasonCode.QUIET_HOURS_BLOCKED,
            id="offer-has-no-send-time",
        ),
        pytest.param(
            offer(channel="email"),
            "2026-11-20T22:00:00+00:00",
            Outcome.ALLOW,
            ReasonCode.NOT_APPLICABLE,
            id="offer-by-email-is-exempt",
        ),
    ],
)
def test_quiet_hours(call, now: str, outcome: Outcome, code: ReasonCode, pack: PolicyPack) -> None:  # type: ignore[no-untyped-def]
    verdict = quiet_hours(call, ctx(now=_utc(now)), pack)
    assert (verdict.outcome, verdict.reason_code) == (outcome, code)


def test_live_inbound_channel_is_exempt(pack: PolicyPack) -> None:
    live = ctx(now=_utc("2026-11-20T22:00:00+00:00"), inbound=True, interaction_channel="phone")
    assert quiet_hours(offer(channel="phone"), live, pack).outcome is Outcome.ALLOW


def test_customer_timezone_not_server_timezone(pack: PolicyPack) -> None:
    # 13:00 UTC is 22:00 in Tokyo: quiet there, daytime in Berlin
    noon = _utc("2026-11-20T13:00:00+00:00")
    tokyo = ctx(now=noon, customer={"timezone": "Asia/Tokyo"})
    assert quiet_hours(message("push"), tokyo, pack).outcome is Outcome.MODIFY
    assert quiet_hours(message("push"), ctx(now=noon), pack).outcome is Outcome.ALLOW


def test_a_pack_with_a_daytime_window(pack: PolicyPack) -> None:
    siesta = pack.model_copy(
        update={
            "quiet_hours": pack.quiet_hours.model_copy(update={"start": time(13), "end": time(16)})
        }
    )
    verdict = quiet_hours(message("sms"), ctx(now=_utc("2026-11-20T13:00:00+00:00")), siesta)
    assert verdict.modified is not None
    assert verdict.modified.args.send_at.astimezone(BERLIN).hour == 16

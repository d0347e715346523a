from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from policies import Outcome, PolicyPack, ReasonCode, load_pack
from policies.pack import DEFAULT_PACK
from policies.quiet_hours import in_quiet_hours, next_allowed, quiet_hours
from tests.policies.conftest import callback, ctx, message, offer
from tools import ActionCall

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


@pytest.mark.parametrize(
    ("when", "expected_local"),
    [
        pytest.param("2026-03-29T00:30:00+00:00", "2026-03-29T03:00+02:00", id="in-the-window"),
        # 01:30 CET is before the gap and still quiet: reading 02:30 with the summer offset
        # would land there
        pytest.param("2026-03-29T00:00:00+00:00", "2026-03-29T03:00+02:00", id="window-start"),
    ],
)
def test_end_skipped_by_spring_forward_is_the_gap_end(when: str, expected_local: str) -> None:
    # quiet 01:00-02:30 on the spring-forward night: 02:00-03:00 does not exist in Berlin, so
    # the window ends when the clock jumps to 03:00
    allowed = next_allowed(_utc(when), BERLIN, time(1), time(2, 30))
    assert allowed.astimezone(BERLIN).isoformat(timespec="minutes") == expected_local


def test_fall_back_can_leave_the_window_before_its_end() -> None:
    # quiet 02:15-03:00 on the fall-back night: at 03:00 CEST the clock goes back to 02:00 CET,
    # outside the window, until 02:15 CET
    allowed = next_allowed(_utc("2026-10-25T00:30:00+00:00"), BERLIN, time(2, 15), time(3))
    assert allowed == _utc("2026-10-25T01:00:00+00:00")
    assert allowed.astimezone(BERLIN).isoformat(timespec="minutes") == "2026-10-25T02:00+01:00"


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
def test_quiet_hours(
    call: ActionCall, now: str, outcome: Outcome, code: ReasonCode, pack: PolicyPack
) -> None:
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


def test_repeated_hour_is_compared_as_instants() -> None:
    # quiet 22:00-01:30 New York; 06:10Z on the fall-back day is 01:10 EST (the second 01:10),
    # after 01:30 EDT (05:30Z) has passed: the next allowed time is the second 01:30 (EST)
    ny = ZoneInfo("America/New_York")
    when = _utc("2026-11-01T06:10:00+00:00")
    allowed = next_allowed(when, ny, time(22), time(1, 30))
    assert allowed == _utc("2026-11-01T06:30:00+00:00")
    assert allowed.astimezone(ny).isoformat(timespec="minutes") == "2026-11-01T01:30-05:00"


@pytest.mark.parametrize(
    ("send_at", "moved_to"),
    [
        pytest.param("2026-11-21T07:00:00+00:00", None, id="exactly-08:00-is-allowed"),
        pytest.param(
            "2026-11-21T06:59:00+00:00", "2026-11-21T07:00:00+00:00", id="07:59-waits-a-minute"
        ),
        pytest.param(
            "2026-11-20T20:00:00+00:00",
            "2026-11-21T07:00:00+00:00",
            id="exactly-21:00-is-quiet",
        ),
        pytest.param("2026-11-20T19:59:00+00:00", None, id="20:59-is-allowed"),
    ],
)
def test_send_at_on_the_boundaries(send_at: str, moved_to: str | None, pack: PolicyPack) -> None:
    # Berlin is UTC+1 in November: 07:00Z is 08:00 local, 20:00Z is 21:00 local
    call = message("sms", send_at=send_at)
    verdict = quiet_hours(call, ctx(now=_utc("2026-11-20T12:00:00+00:00")), pack)
    if moved_to is None:
        assert (verdict.outcome, verdict.modified) == (Outcome.ALLOW, None)
    else:
        assert verdict.modified is not None
        assert verdict.modified.args.send_at == _utc(moved_to)


@pytest.mark.parametrize(
    ("call", "outcome"),
    [
        pytest.param(offer(channel="sms"), Outcome.ALLOW, id="offer-in-the-live-conversation"),
        pytest.param(message("sms"), Outcome.ALLOW, id="reply-sent-now"),
        pytest.param(
            message("sms", send_at="2026-11-21T02:00:00+00:00"),
            Outcome.MODIFY,
            id="message-scheduled-for-later-is-not-live",
        ),
        pytest.param(offer(channel="push"), Outcome.DENY, id="other-channel-is-not-live"),
    ],
)
def test_live_exemption_covers_only_the_conversation(
    call: ActionCall, outcome: Outcome, pack: PolicyPack
) -> None:
    live = ctx(now=_utc("2026-11-20T22:00:00+00:00"), inbound=True, interaction_channel="sms")
    assert quiet_hours(call, live, pack).outcome is outcome


def test_callback_during_an_inbound_call_still_moves(pack: PolicyPack) -> None:
    live = ctx(now=_utc("2026-11-20T21:00:00+00:00"), inbound=True, interaction_channel="phone")
    verdict = quiet_hours(callback("2026-11-20T21:30:00+00:00"), live, pack)
    assert verdict.reason_code is ReasonCode.QUIET_HOURS_DEFERRED


def test_a_send_time_already_past_means_now(pack: PolicyPack) -> None:
    # scheduled for yesterday 10:00 local (daytime), but it would go out now, at 22:30 local
    night = ctx(now=_utc("2026-11-20T21:30:00+00:00"))
    verdict = quiet_hours(message("sms", send_at="2026-11-19T09:00:00+00:00"), night, pack)
    assert verdict.modified is not None
    assert verdict.modified.args.send_at == _utc("2026-11-21T07:00:00+00:00")


def test_moved_times_are_utc() -> None:
    when = datetime.fromisoformat("2026-11-20T23:00:00+01:00")
    allowed = next_allowed(when, BERLIN, time(21), time(8))
    assert allowed.utcoffset() == timedelta(0)
    assert allowed == _utc("2026-11-21T07:00:00+00:00")


@pytest.mark.parametrize(
    ("when", "tz", "expected_local"),
    [
        pytest.param(
            "2026-09-26T10:00:00+00:00",
            "Pacific/Auckland",
            "2026-09-27T08:00+13:00",
            id="auckland-spring-forward-night",  # 02:00 -> 03:00 on 27 Sep
        ),
        pytest.param(
            "2026-03-29T00:30:00+00:00",
            "Europe/Berlin",
            "2026-03-29T08:00+02:00",
            id="berlin-inside-the-skipped-night",  # 01:30 CET, an hour before the gap
        ),
        pytest.param(
            "2026-10-25T01:30:00+00:00",
            "Europe/Berlin",
            "2026-10-25T08:00+01:00",
            id="berlin-second-pass-of-the-repeated-hour",  # 02:30 CET (fold=1)
        ),
        pytest.param(
            "2026-11-20T02:29:00+00:00",
            "Asia/Kolkata",
            "2026-11-20T08:00+05:30",
            id="kolkata-07:59",
        ),
    ],
)
def test_next_allowed_more_zones(when: str, tz: str, expected_local: str) -> None:
    allowed = next_allowed(_utc(when), ZoneInfo(tz), time(21), time(8))
    assert allowed.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes") == expected_local


def test_fold_end_time_is_its_first_occurrence() -> None:
    # quiet 00:00-02:30 on the fall-back night: 02:30 happens twice; the first (CEST) frees it
    allowed = next_allowed(_utc("2026-10-24T23:00:00+00:00"), BERLIN, time(0), time(2, 30))
    assert allowed == _utc("2026-10-25T00:30:00+00:00")
    assert allowed.astimezone(BERLIN).isoformat(timespec="minutes") == "2026-10-25T02:30+02:00"


def test_a_custom_pack_with_a_window_not_crossing_midnight(tmp_path: Path) -> None:
    text = DEFAULT_PACK.read_text()
    text = text.replace('start: "21:00"', 'start: "12:30"').replace('end: "08:00"', 'end: "14:00"')
    path = tmp_path / "lunch.yaml"
    path.write_text(text)
    lunch = load_pack(path)
    assert (lunch.quiet_hours.start, lunch.quiet_hours.end) == (time(12, 30), time(14))
    at = {  # local Berlin (UTC+1) -> expected outcome
        "12:29": Outcome.ALLOW,
        "12:30": Outcome.MODIFY,
        "13:59": Outcome.MODIFY,
        "14:00": Outcome.ALLOW,
        "23:00": Outcome.ALLOW,
    }
    for local, outcome in at.items():
        now = datetime.fromisoformat(f"2026-11-20T{local}:00+01:00")
        verdict = quiet_hours(message("push"), ctx(now=now), lunch)
        assert verdict.outcome is outcome, local
        if outcome is Outcome.MODIFY:
            assert verdict.modified is not None
            assert verdict.modified.args.send_at == _utc("2026-11-20T13:00:00+00:00")


@pytest.mark.parametrize(
    ("now", "outcome", "send_at_local"),
    [
        pytest.param("2026-11-20T07:00:00+00:00", Outcome.ALLOW, None, id="exactly-08:00"),
        pytest.param(
            "2026-11-20T06:59:59+00:00",
            Outcome.MODIFY,
            "2026-11-20T08:00+01:00",
            id="a-second-before-08:00",
        ),
        pytest.param(
            "2026-11-20T20:00:00+00:00",
            Outcome.MODIFY,
            "2026-11-21T08:00+01:00",
            id="exactly-21:00-is-quiet",
        ),
        pytest.param("2026-11-20T19:59:59+00:00", Outcome.ALLOW, None, id="a-second-before-21:00"),
    ],
)
def test_window_boundaries(
    now: str, outcome: Outcome, send_at_local: str | None, pack: PolicyPack
) -> None:
    verdict = quiet_hours(message("sms"), ctx(now=_utc(now)), pack)
    assert verdict.outcome is outcome
    if send_at_local is not None:
        assert verdict.modified is not None
        send_at = verdict.modified.args.send_at
        assert send_at.utcoffset() == timedelta(0)
        assert send_at.astimezone(BERLIN).isoformat(timespec="minutes") == send_at_local


@pytest.mark.parametrize(
    ("when", "tz", "expected_local"),
    [
        pytest.param(
            "2026-09-26T10:00:00+00:00",
            "Pacific/Auckland",
            "2026-09-27T08:00+13:00",
            id="auckland-spring-forward-night",
        ),
        pytest.param(
            "2026-11-01T02:00:00+00:00",  # 22:00 EDT
            "America/New_York",
            "2026-11-01T08:00-05:00",
            id="new-york-fall-back-night",
        ),
        pytest.param(
            "2026-11-20T02:29:00+00:00",
            "Asia/Kolkata",
            "2026-11-20T08:00+05:30",
            id="kolkata-07:59",
        ),
        pytest.param(
            "2026-11-20T02:30:00+00:00",
            "Asia/Kolkata",
            "2026-11-20T08:00+05:30",
            id="kolkata-exactly-08:00-unchanged",
        ),
    ],
)
def test_more_zones(when: str, tz: str, expected_local: str) -> None:
    allowed = next_allowed(_utc(when), ZoneInfo(tz), time(21), time(8))
    assert allowed.astimezone(ZoneInfo(tz)).isoformat(timespec="minutes") == expected_local


@pytest.mark.parametrize(
    ("tz", "week_from"),
    [
        pytest.param("Europe/Berlin", "2026-03-26", id="berlin-spring"),
        pytest.param("Europe/Berlin", "2026-10-22", id="berlin-autumn"),
        pytest.param("America/New_York", "2026-03-05", id="new-york-spring"),
        pytest.param("Pacific/Auckland", "2026-04-02", id="auckland-autumn"),
        pytest.param("America/Santiago", "2026-09-03", id="santiago-midnight-switch"),
    ],
)
@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(time(21), time(8), id="21-08"),
        pytest.param(time(13), time(16), id="13-16"),
        pytest.param(time(23, 30), time(0, 30), id="23:30-00:30"),
        pytest.param(time(1), time(2, 30), id="01-02:30"),
        pytest.param(time(2, 15), time(3), id="02:15-03"),
    ],
)
def test_next_allowed_is_the_first_allowed_instant(
    tz: str, week_from: str, start: time, end: time
) -> None:
    # every 10 minutes over a DST week: the answer is allowed, not earlier than asked, and
    # every 5-minute step before it is still quiet (so nothing earlier was allowed)
    zone = ZoneInfo(tz)
    first = datetime.fromisoformat(week_from).replace(tzinfo=UTC)
    for step in range(0, 7 * 24 * 6):
        when = first + timedelta(minutes=10 * step)
        allowed = next_allowed(when, zone, start, end)
        assert allowed >= when
        assert not in_quiet_hours(allowed.astimezone(zone).time(), start, end), when
        probe = when
        while probe < allowed:
            assert in_quiet_hours(probe.astimezone(zone).time(), start, end), (when, probe)
            probe += timedelta(minutes=5)


def test_a_custom_pack_with_a_daytime_window(tmp_path: Path) -> None:
    # a window that does not cross midnight, loaded from YAML like any pack
    text = DEFAULT_PACK.read_text().replace('start: "21:00"', 'start: "12:00"')
    path = tmp_path / "siesta.yaml"
    path.write_text(text.replace('end: "08:00"', 'end: "15:00"'))
    siesta = load_pack(path)
    noon = ctx(now=_utc("2026-11-20T11:30:00+00:00"))  # 12:30 Berlin
    verdict = quiet_hours(callback("2026-11-20T12:00:00+00:00"), noon, siesta)
    assert verdict.outcome is Outcome.MODIFY
    assert verdict.modified is not None
    assert verdict.modified.args.at == _utc("2026-11-20T14:00:00+00:00")  # 15:00 Berlin
    evening = ctx(now=_utc("2026-11-20T21:00:00+00:00"))  # 22:00 Berlin: not quiet here
    assert quiet_hours(message("sms"), evening, siesta).outcome is Outcome.ALLOW

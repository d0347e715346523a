"""Quiet hours in the customer's own timezone: move what can wait, refuse what cannot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from policies.base import allow, deny, is_live, modify, not_applicable, patched
from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import ReasonCode, Verdict
from tools import ActionCall, ScheduleCallback, SendMessage

__all__ = ["POLICY_ID", "in_quiet_hours", "next_allowed", "quiet_hours"]

POLICY_ID = "quiet_hours"


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local wall time is inside [start, end); windows may cross midnight."""
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def _walls(day: date, at: time, zone: ZoneInfo) -> list[datetime]:
    """The instants (UTC) at which the wall clock shows ``at`` on ``day``: two in a fall-back
    fold, none in a spring-forward gap that skips it."""
    naive = datetime.combine(day, at)
    readings = {naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return [r for r in readings if r.astimezone(zone).replace(tzinfo=None) == naive]


def _transitions(since: datetime, until: datetime, zone: ZoneInfo) -> list[datetime]:
    """The instants in (since, until] at which the zone's UTC offset changes. zoneinfo does not
    expose its transitions: sample hourly (offsets never change twice within an hour) and
    bisect each change to the microsecond."""
    found: list[datetime] = []
    if since.astimezone(zone).utcoffset() == until.astimezone(zone).utcoffset():
        return found  # the common case; no zone changes its offset and back within two days
    left = since
    while left < until:
        right = min(left + timedelta(hours=1), until)
        lo, hi = left, right
        new_offset = hi.astimezone(zone).utcoffset()
        if lo.astimezone(zone).utcoffset() != new_offset:
            while hi - lo > timedelta(microseconds=1):
                middle = lo + (hi - lo) / 2
                if middle.astimezone(zone).utcoffset() == new_offset:
                    hi = middle
                else:
                    lo = middle
            found.append(hi)
        left = right
    return found


def next_allowed(when: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """The first instant at or after ``when`` outside quiet hours, in UTC.

    Within quiet hours the wall clock leaves the window either by reaching ``end`` or by a DST
    jump (past a spring-forward gap, or back out of the window at a fall-back). So the answer
    is the earliest of those moments at which the local time is outside the window: usually
    ``end`` local on the right date; in a fall-back fold, the first occurrence still ahead.
    """
    instant = when.astimezone(UTC)  # compare instants, never wall clocks sharing a tzinfo
    if not in_quiet_hours(instant.astimezone(zone).time(), start, end):
        return instant
    today = instant.astimezone(zone).date()
    # the window is shorter than a day, so the next ``end`` is at most two dates ahead; it is
    # always outside the window, and only a DST jump before it can leave the window earlier
    ends = [w for days in range(3) for w in _walls(today + timedelta(days=days), end, zone)]
    next_end = min(w for w in ends if w > instant)
    for jump in _transitions(instant, next_end, zone):
        if not in_quiet_hours(jump.astimezone(zone).time(), start, end):
            return jump
    return next_end


def _timed_field(call: ActionCall, ctx: PolicyContext) -> tuple[str, datetime] | None:
    """The argument that says when the call reaches the customer, and its value, if it has one."""
    if isinstance(call, SendMessage):
        send_at = call.args.send_at
        # a send time already past means "now"
        return "send_at", ctx.now if send_at is None else max(send_at, ctx.now)
    if isinstance(call, ScheduleCallback):
        return "at", call.args.at
    return None


def quiet_hours(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    rules = pack.quiet_hours
    channel = call.channel
    if channel is None or channel not in rules.channels or not call.spec.contacts_customer:
        return not_applicable(POLICY_ID, pack)
    if is_live(call, ctx):
        return allow(POLICY_ID, pack, "live conversation the customer started")
    zone = ZoneInfo(ctx.customer.timezone)
    window = f"{rules.start:%H:%M}-{rules.end:%H:%M} {ctx.customer.timezone}"
    timed = _timed_field(call, ctx)
    if timed is not None:
        field, when = timed
        allowed = next_allowed(when, zone, rules.start, rules.end)
        if allowed == when:
            return allow(POLICY_ID, pack, "outside quiet hours")
        local = allowed.astimezone(zone)
        return modify(
            POLICY_ID,
            pack,
            ReasonCode.QUIET_HOURS_DEFERRED,
            f"quiet hours {window}: {field} moved to {local:%Y-%m-%d %H:%M} local",
            patched(call, **{field: allowed}),
        )
    local_now = ctx.now.astimezone(zone).time()
    if in_quiet_hours(local_now, rules.start, rules.end):
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.QUIET_HOURS_BLOCKED,
            f"quiet hours {window}: {call.type} on {channel} cannot be scheduled",
        )
    return allow(POLICY_ID, pack, "outside quiet hours")

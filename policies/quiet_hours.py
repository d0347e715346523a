"""Quiet hours in the customer's own timezone: move what can wait, refuse what cannot."""

from __future__ import annotations

from datetime import datetime, time, timedelta
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


def _wall(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """``at`` local on ``day``'s date, as an instant. A time that falls in a spring-forward gap
    is pushed past the gap (zoneinfo's fold=0 reading, normalized through UTC)."""
    naive = datetime.combine(day.date(), at)
    candidate = naive.replace(tzinfo=zone)
    # Round-trip through UTC: a nonexistent wall time comes back shifted forward.
    return candidate.astimezone(ZoneInfo("UTC")).astimezone(zone)


def next_allowed(when: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """The first instant at or after ``when`` outside quiet hours: ``end`` local, DST-safe."""
    local = when.astimezone(zone)
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), start, end):
        return when
    today_end = _wall(local, end, zone)
    if today_end > local:
        return today_end.astimezone(when.tzinfo)
    return _wall(local + timedelta(days=1), end, zone).astimezone(when.tzinfo)


def _timed_field(call: ActionCall, ctx: PolicyContext) -> tuple[str, datetime] | None:
    """The argument that says when the call reaches the customer, and its value, if it has one."""
    if isinstance(call, SendMessage):
        return "send_at", call.args.send_at or ctx.now
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

"""What every guard shares: its signature and small verdict builders."""

from __future__ import annotations

from typing import Any, Protocol

from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import Outcome, ReasonCode, Verdict
from tools import ActionCall, ScheduleCallback, SendMessage, parse_action

__all__ = [
    "Guard",
    "allow",
    "delivered_now",
    "deny",
    "is_live",
    "modify",
    "not_applicable",
    "patched",
    "require_approval",
]


class Guard(Protocol):
    """A pure function of a proposal and a snapshot; no I/O."""

    __name__: str

    def __call__(self, call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict: ...


def _verdict(
    policy_id: str,
    pack: PolicyPack,
    outcome: Outcome,
    code: ReasonCode,
    message: str,
    modified: ActionCall | None = None,
) -> Verdict:
    return Verdict(
        policy_id=policy_id,
        policy_version=pack.version,
        outcome=outcome,
        reason_code=code,
        message=message,
        modified=modified,
    )


def allow(policy_id: str, pack: PolicyPack, message: str = "allowed") -> Verdict:
    return _verdict(policy_id, pack, Outcome.ALLOW, ReasonCode.OK, message)


def not_applicable(policy_id: str, pack: PolicyPack) -> Verdict:
    return _verdict(policy_id, pack, Outcome.ALLOW, ReasonCode.NOT_APPLICABLE, "does not apply")


def deny(policy_id: str, pack: PolicyPack, code: ReasonCode, message: str) -> Verdict:
    return _verdict(policy_id, pack, Outcome.DENY, code, message)


def require_approval(policy_id: str, pack: PolicyPack, code: ReasonCode, message: str) -> Verdict:
    return _verdict(policy_id, pack, Outcome.REQUIRE_APPROVAL, code, message)


def modify(
    policy_id: str, pack: PolicyPack, code: ReasonCode, message: str, call: ActionCall
) -> Verdict:
    return _verdict(policy_id, pack, Outcome.MODIFY, code, message, modified=call)


def patched(call: ActionCall, **args: Any) -> ActionCall:
    """The call with some arguments replaced, validated again by its tool's model."""
    data = call.model_dump(mode="python")
    data["args"].update(args)
    return parse_action(data)


def delivered_now(call: ActionCall, ctx: PolicyContext) -> bool:
    """The call reaches the customer now, not at a later time it names."""
    if isinstance(call, SendMessage):
        return call.args.send_at is None or call.args.send_at <= ctx.now
    return not isinstance(call, ScheduleCallback)


def is_live(call: ActionCall, ctx: PolicyContext) -> bool:
    """The call is part of the conversation the customer started: on the channel they are on
    right now, and delivered now (a message scheduled for later or a callback is not live)."""
    return (
        ctx.inbound
        and call.channel is not None
        and call.channel == ctx.interaction_channel
        and delivered_now(call, ctx)
    )

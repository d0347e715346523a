"""Custom rules from the pack: declarative CEL conditions over the action and the customer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import cel

from policies.base import allow, deny, require_approval
from policies.context import PolicyContext
from policies.pack import PolicyPack, Rule
from policies.verdict import Verdict
from tools import ActionCall, Channel

__all__ = ["POLICY_ID", "activation", "rules"]

POLICY_ID = "rules"


def _plain(value: Any) -> Any:
    """JSON-like values CEL understands: Decimals become doubles, times ISO strings."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def activation(call: ActionCall, ctx: PolicyContext) -> dict[str, Any]:
    return {
        "action": {
            "type": str(call.type),
            "args": _plain(call.args.model_dump(mode="python")),
            "channel": str(call.channel) if call.channel else "",
            "purpose": str(call.purpose),
        },
        "customer": ctx.customer.as_data,
        "inbound": ctx.inbound,
        "live": ctx.inbound and ctx.interaction_channel in (Channel.CHAT, Channel.PHONE),
        "local_hour": ctx.now.astimezone(ZoneInfo(ctx.customer.timezone)).hour,
    }


def _check(rule: Rule, data: cel.Context) -> str | None:
    """Why the rule applies (its message, or why it could not be evaluated), or None."""
    try:
        result = rule.program.execute(data)
    except Exception as exc:  # any failure of a rule is reported in its verdict, not raised
        return f"rule {rule.id} could not be evaluated ({exc}): applied to be safe"
    if not isinstance(result, bool):
        kind = type(result).__name__
        return f"rule {rule.id} returned {kind}, not a bool: applied to be safe"
    return f"rule {rule.id}: {rule.message}" if result else None


def rules(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    """Every rule is checked; a deny rule outranks a require_approval rule whatever the order
    in the pack, and the message names every rule that applied. A rule that cannot be
    evaluated fails closed: its outcome applies and the message says why."""
    if not pack.rules:
        return allow(POLICY_ID, pack, "no custom rules")
    # one Context for every rule: CEL converts its variables once, not once per rule
    data = cel.Context(activation(call, ctx))
    applied = [(rule, why) for rule in pack.rules if (why := _check(rule, data)) is not None]
    if not applied:
        return allow(POLICY_ID, pack, f"{len(pack.rules)} rules checked, none matched")
    denials = [(rule, why) for rule, why in applied if rule.outcome == "deny"]
    deciding = denials or applied
    message = "; ".join(why for _, why in deciding)
    code = deciding[0][0].reason_code
    if denials:
        return deny(POLICY_ID, pack, code, message)
    return require_approval(POLICY_ID, pack, code, message)

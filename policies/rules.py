"""Custom rules from the pack: declarative CEL conditions over the action and the customer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from policies.base import allow, deny, require_approval
from policies.context import PolicyContext
from policies.pack import PolicyPack, compiled
from policies.verdict import Verdict
from tools import ActionCall

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
        "customer": _plain(ctx.customer.model_dump(mode="json")),
        "inbound": ctx.inbound,
        "local_hour": ctx.now.astimezone(ZoneInfo(ctx.customer.timezone)).hour,
    }


def rules(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    """The first matching rule decides; a rule that fails to evaluate counts as not matching."""
    if not pack.rules:
        return allow(POLICY_ID, pack, "no custom rules")
    data = activation(call, ctx)
    for rule in pack.rules:
        try:
            matched = compiled(rule.when).execute(data) is True
        except Exception:
            matched = False
        if matched:
            message = f"rule {rule.id}: {rule.message}"
            if rule.outcome == "deny":
                return deny(POLICY_ID, pack, rule.reason_code, message)
            return require_approval(POLICY_ID, pack, rule.reason_code, message)
    return allow(POLICY_ID, pack, f"{len(pack.rules)} rules checked, none matched")

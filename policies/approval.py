"""Approval thresholds: goodwill credits above a limit wait for a human; far above, never."""

from __future__ import annotations

from policies.base import allow, deny, not_applicable, require_approval
from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import ReasonCode, Verdict
from tools import ActionCall, ApplyGoodwillCredit

__all__ = ["POLICY_ID", "approval"]

POLICY_ID = "approval"


def approval(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    if not isinstance(call, ApplyGoodwillCredit):
        return not_applicable(POLICY_ID, pack)
    rules = pack.goodwill_credit
    amount, currency = call.args.amount, call.args.currency
    if currency != ctx.customer.currency:
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.CURRENCY_MISMATCH,
            f"credit in {currency} for a customer billed in {ctx.customer.currency}",
        )
    if amount > rules.deny_above:
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.CREDIT_OVER_LIMIT,
            f"credit {amount} {currency} is above the {rules.deny_above} limit",
        )
    if amount > rules.auto_approve_up_to:
        return require_approval(
            POLICY_ID,
            pack,
            ReasonCode.APPROVAL_REQUIRED,
            f"credit {amount} {currency} is above {rules.auto_approve_up_to}: a team lead approves",
        )
    return allow(POLICY_ID, pack, f"credit {amount} {currency} within the automatic limit")

"""Incentive limits by tier, and a rolling budget of incentives per customer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import assert_never

from policies.base import allow, deny, modify, not_applicable, patched
from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import ReasonCode, Verdict
from tools import ActionCall, ActionType, OfferIncentive

__all__ = ["POLICY_ID", "incentive_limits"]

POLICY_ID = "incentive_limits"


def _limit(call: OfferIncentive, ctx: PolicyContext, pack: PolicyPack) -> tuple[Decimal, str]:
    limits = pack.tier_limits(ctx.customer.tier)
    match call.args.kind:
        case "percent_discount":
            return limits.percent, "%"
        case "amount_discount":
            return limits.amount, f" {ctx.customer.currency}"
        case "free_months":
            return Decimal(limits.free_months), " free months"
        case unknown:
            assert_never(unknown)


def incentive_limits(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    if not isinstance(call, OfferIncentive):
        return not_applicable(POLICY_ID, pack)
    budget = pack.incentive_limits.budget
    since = ctx.now - timedelta(days=budget.window_days)
    given = sum(
        1
        for i in ctx.recent_incentives
        if i.action_type is ActionType.OFFER_INCENTIVE and i.ts > since
    )
    if given >= budget.max_incentives:
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.INCENTIVE_BUDGET_EXHAUSTED,
            f"{given} incentives in the last {budget.window_days} days "
            f"(budget {budget.max_incentives})",
        )
    args = call.args
    if args.kind == "amount_discount" and args.currency != ctx.customer.currency:
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.CURRENCY_MISMATCH,
            f"discount in {args.currency} for a customer billed in {ctx.customer.currency}",
        )
    limit, unit = _limit(call, ctx, pack)
    if limit <= 0:
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.INCENTIVE_OVER_TIER_LIMIT,
            f"tier {ctx.customer.tier} gets no {args.kind}",
        )
    if args.value > limit:
        return modify(
            POLICY_ID,
            pack,
            ReasonCode.INCENTIVE_CAPPED,
            f"{args.kind} {args.value}{unit} capped to the {ctx.customer.tier} limit {limit}{unit}",
            patched(call, value=limit),
        )
    return allow(POLICY_ID, pack, f"within the {ctx.customer.tier} limit of {limit}{unit}")

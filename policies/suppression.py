"""Suppression: no marketing and no incentives while a complaint or dispute is open (a case in
the profile or opened by an event), while the customer's recent words are about one (an
intent the pack names), or for a customer flagged vulnerable. Service help stays allowed."""

from __future__ import annotations

from policies.base import allow, deny, not_applicable
from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import ReasonCode, Verdict
from tools import ActionCall, ActionType, Purpose

__all__ = ["POLICY_ID", "suppression"]

POLICY_ID = "suppression"


def suppression(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    selling = call.type is ActionType.OFFER_INCENTIVE or (
        call.spec.contacts_customer and call.purpose is Purpose.MARKETING
    )
    if not selling:
        return not_applicable(POLICY_ID, pack)
    rules = pack.suppression
    for case_type in ctx.customer.open_case_types:
        code = rules.case_types.get(case_type)
        if code is not None:
            return deny(
                POLICY_ID, pack, code, f"open {case_type} case: no {call.purpose} or offers"
            )
    intent = ctx.customer.intent
    if intent is not None and (code := rules.intents.get(intent)) is not None:
        return deny(
            POLICY_ID,
            pack,
            code,
            f"their recent words are about {intent.replace('_', ' ')}: no {call.purpose} or offers",
        )
    if rules.vulnerable and ctx.customer.vulnerability_flags:
        flags = ", ".join(ctx.customer.vulnerability_flags)
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.SUPPRESSED_VULNERABLE,
            f"vulnerable customer ({flags}): no marketing or offers",
        )
    return allow(POLICY_ID, pack, "no open complaint, dispute or vulnerability")

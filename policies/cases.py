"""Cases: one open case per type. A second case of a type already open is refused (the action
is to update the open one), and an update names a case that is open."""

from __future__ import annotations

from policies.base import allow, deny, not_applicable
from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import ReasonCode, Verdict
from tools import ActionCall, OpenCase, UpdateCase

__all__ = ["POLICY_ID", "cases"]

POLICY_ID = "cases"


def cases(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    if isinstance(call, OpenCase):
        kind = call.args.case_type
        existing = ctx.customer.open_case(kind)
        if existing is not None:
            return deny(
                POLICY_ID,
                pack,
                ReasonCode.CASE_ALREADY_OPEN,
                f"a {kind.replace('_', ' ')} case is already open ({existing.case_id}, from "
                f"{existing.source}): update it instead of opening a second",
            )
        if kind in ctx.customer.open_case_types:  # known by type only, so no id to update
            return deny(
                POLICY_ID,
                pack,
                ReasonCode.CASE_ALREADY_OPEN,
                f"a {kind.replace('_', ' ')} case is already open: do not open a second",
            )
        return allow(POLICY_ID, pack, f"no {kind.replace('_', ' ')} case is open")
    if isinstance(call, UpdateCase):
        case_id = call.args.case_id
        if not any(c.case_id == case_id for c in ctx.customer.open_cases):
            return deny(
                POLICY_ID, pack, ReasonCode.CASE_NOT_OPEN, f"no open case has the id {case_id}"
            )
        return allow(POLICY_ID, pack, f"case {case_id} is open")
    return not_applicable(POLICY_ID, pack)

"""Consent: contact needs a granted consent for the channel *and* the purpose."""

from __future__ import annotations

from policies.base import allow, deny, is_live, not_applicable
from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import ReasonCode, Verdict
from tools import ActionCall

__all__ = ["POLICY_ID", "consent"]

POLICY_ID = "consent"


def consent(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    channel = call.channel
    if not call.spec.contacts_customer or channel is None:
        return not_applicable(POLICY_ID, pack)
    if pack.consent.exempt_live_channel and is_live(call, ctx):
        return allow(POLICY_ID, pack, f"live {channel} conversation the customer started")
    if ctx.has_consent(channel, call.purpose):
        return allow(POLICY_ID, pack, f"{call.purpose} consent on {channel}")
    return deny(
        POLICY_ID,
        pack,
        ReasonCode.CONSENT_MISSING,
        f"no {call.purpose} consent on {channel}",
    )

"""Contact frequency caps per channel over a rolling window, counting the contacts the snapshot
holds: executed or reserved, from logged decisions or from events other systems posted."""

from __future__ import annotations

from datetime import timedelta

from policies.base import allow, deny, not_applicable
from policies.context import PolicyContext
from policies.pack import PolicyPack
from policies.verdict import ReasonCode, Verdict
from tools import ActionCall

__all__ = ["POLICY_ID", "frequency_cap"]

POLICY_ID = "frequency_cap"


def frequency_cap(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Verdict:
    channel = call.channel
    caps = pack.frequency_caps
    if not call.spec.contacts_customer or channel is None or channel not in caps.per_channel:
        return not_applicable(POLICY_ID, pack)
    cap = caps.per_channel[channel]
    used = ctx.contacts_since(timedelta(days=caps.window_days), channel)
    if used >= cap:
        return deny(
            POLICY_ID,
            pack,
            ReasonCode.CONTACT_CAP_REACHED,
            f"{used} {channel} contacts in the last {caps.window_days} days (cap {cap})",
        )
    return allow(POLICY_ID, pack, f"{used} of {cap} {channel} contacts used")

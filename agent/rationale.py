"""A short, human rationale for a decision, built only from its trace."""

from __future__ import annotations

from collections.abc import Sequence

from agent.record import ProposalTrace, RankedAction
from policies import Outcome

__all__ = ["explain"]


def _describe(call_type: str, channel: str | None) -> str:
    return f"{call_type} on {channel}" if channel else call_type


def explain(
    chosen: RankedAction,
    traces: Sequence[ProposalTrace],
    weights: dict[str, tuple[float, list[str]]],
    *,
    safe_default: bool,
) -> str:
    by_id = {t.proposal_id: t for t in traces}
    trace = by_id[chosen.proposal_id]
    call = chosen.call
    parts = []
    if safe_default:
        parts.append(f"Safe default {_describe(call.type, call.channel)}: {trace.rationale}.")
    else:
        weight, reasons = weights.get(chosen.proposal_id, (1.0, []))
        why = f" ({'; '.join(reasons)})" if reasons else ""
        parts.append(
            f"Chose {_describe(call.type, call.channel)} from {trace.rationale}: score "
            f"{chosen.score:.3f} = propensity {trace.propensity:.2f} x value {trace.value:.2f} "
            f"x context {weight:.2f}{why} x lever {trace.lever:.2f}."
        )
    changed = [v for v in trace.evaluation.verdicts if v.outcome is not Outcome.ALLOW]
    if changed:
        parts.append(
            "Policies: "
            + "; ".join(f"{v.policy_id} {v.outcome}: {v.message}" for v in changed)
            + "."
        )
    denied = [t for t in traces if not t.evaluation.permitted]
    if denied:
        items = []
        for t in denied:
            codes = ", ".join(f"{v.policy_id}/{v.reason_code}" for v in t.evaluation.denials)
            items.append(f"{_describe(t.call.type, t.call.channel)} ({codes})")
        parts.append(f"Denied {len(denied)} of {len(traces)}: " + "; ".join(items) + ".")
    return " ".join(parts)

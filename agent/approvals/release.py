"""What an approval releases, decided again at the moment of release.

Time has passed since the decision asked for approval: a contact cap may have filled, a
consent may have been withdrawn, the customer may have opened a complaint. So the guards run
again on a fresh policy snapshot, and what goes out is the first of these that they permit:

- approved: the approved action (its require_approval now answered), else the decision's next
  permitted alternative, else the safe default;
- rejected: the next permitted alternative, else the safe default;
- expired: the safe default.

An alternative is released only if it needs no approval of its own. The result is a decision
of its own (``<decision_id>.released``), with the re-run guards as its trace and the reason in
its rationale; the original record is never changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from agent.approvals.models import Verdict, released_id_for
from agent.briefing.compose import describe_call
from agent.deps import Deps
from agent.graph.context_loader import LoadedContext, load
from agent.graph.nodes import chosen_as_is, trace_proposal
from agent.planner.safe_default import safe_defaults
from agent.record import DecideRequest, DecisionRecordV1, ProposalTrace, RankedAction, Released
from policies import Outcome, evaluate

__all__ = ["build_release"]

_RELEASABLE = (Outcome.ALLOW, Outcome.MODIFY)


def _request(deps: Deps, original: DecisionRecordV1) -> DecideRequest:
    """The original request as it can be rebuilt: a stored customer is loaded afresh (with the
    events that came only with the request), an inline one as the log recorded them."""
    if original.profile_source == "inline":
        return DecideRequest(
            profile=original.profile, events=original.events, context=original.context
        )
    since = original.created_at - timedelta(days=deps.config.event_lookback_days)
    stored = deps.customers.recent_events(
        original.customer_id, since=since, limit=deps.config.max_events
    )
    known = {e.id for e in stored}
    return DecideRequest(
        customer_id=original.customer_id,
        events=[e for e in original.events if e.id not in known],
        context=original.context,
    )


def _reguard(trace: ProposalTrace, loaded: LoadedContext, deps: Deps) -> ProposalTrace:
    evaluation = evaluate(trace.call, loaded.policy_context, deps.pack)
    return trace.model_copy(update={"evaluation": evaluation})


def _denied(trace: ProposalTrace) -> str:
    verdicts = trace.evaluation.denials or [
        v for v in trace.evaluation.verdicts if v.outcome is Outcome.REQUIRE_APPROVAL
    ]
    return "; ".join(f"{v.policy_id}: {v.message}" for v in verdicts) or "not permitted"


def build_release(
    deps: Deps,
    original: DecisionRecordV1,
    verdict: Verdict,
    *,
    approval_id: str,
    actor: str,
    reason: str,
    now: datetime,
) -> DecisionRecordV1:
    """The decision an approval's verdict releases (as made: store it redacted). Raises
    NextbestError when the customer can no longer be loaded."""
    started = time.perf_counter()
    loaded = load(deps, _request(deps, original), now)
    by_id = {t.proposal_id: t for t in original.proposals}
    candidates: list[tuple[RankedAction, bool]] = []
    if verdict == "approved":
        candidates.append((original.chosen, True))
    if verdict in ("approved", "rejected"):
        candidates += [(alternative, False) for alternative in original.alternatives]

    traces: list[ProposalTrace] = []
    chosen: RankedAction | None = None
    notes: list[str] = []
    for ranked, approved in candidates:
        trace = _reguard(by_id[ranked.proposal_id], loaded, deps)
        traces.append(trace)
        evaluation = trace.evaluation
        if evaluation.outcome in _RELEASABLE or (
            approved and evaluation.outcome is Outcome.REQUIRE_APPROVAL
        ):
            outcome = evaluation.outcome
            if outcome is Outcome.REQUIRE_APPROVAL:  # answered by this approval
                outcome = Outcome.MODIFY if evaluation.call != trace.call else Outcome.ALLOW
            chosen = ranked.model_copy(
                update={"call": evaluation.call, "outcome": outcome, "probability": 1.0}
            )
            break
        notes.append(f"{describe_call(trace.call)}: {_denied(trace)}")
    safe_default = chosen is None
    if chosen is None:
        chosen, defaults = _safe_default(deps, original, loaded, verdict)
        traces += defaults

    rationale = _rationale(verdict, actor, reason, chosen, notes, safe_default, original, deps, now)
    return DecisionRecordV1(
        decision_id=released_id_for(original.decision_id),
        kind="decision",
        created_at=now,
        customer_id=original.customer_id,
        profile=loaded.profile,
        events=loaded.events,
        context=original.context,
        profile_source=original.profile_source,
        signals=loaded.signals,
        playbooks=original.playbooks,
        proposals=traces,
        chosen=chosen,
        alternatives=[],
        approval_required=False,
        rationale=rationale,
        safe_default=safe_default,
        mode=original.mode,
        mode_reason=f"released by approval {approval_id} ({verdict})",
        policy_pack_version=f"{deps.pack.id}@{deps.pack.version}",
        embedding_model=original.embedding_model,
        timings_ms={"release": round((time.perf_counter() - started) * 1000, 3)},
        request_fingerprint=original.request_fingerprint,
        caller=actor,
        accounting=loaded.accounting,
        released_from=Released(
            approval_id=approval_id,
            decision_id=original.decision_id,
            verdict=verdict,
            by=actor,
            reason=reason,
        ),
    )


def _safe_default(
    deps: Deps, original: DecisionRecordV1, loaded: LoadedContext, verdict: Verdict
) -> tuple[RankedAction, list[ProposalTrace]]:
    why = {
        "approved": "the approved action and its alternatives are no longer permitted",
        "rejected": "the action was rejected and no alternative is permitted",
        "expired": "the approval expired",
        "cancelled": "the approval was cancelled",
    }[verdict]
    traces: list[ProposalTrace] = []
    proposals = safe_defaults(original.context, loaded.signals, why)
    for n, proposal in enumerate(proposals, start=1):
        trace = trace_proposal(f"default{n}", proposal, loaded.policy_context, deps.pack)
        traces.append(trace)
        if trace.evaluation.outcome in _RELEASABLE:
            break
    # the permitted default, or the last resort refused as it is
    return chosen_as_is(traces[-1]), traces


def _rationale(
    verdict: Verdict,
    actor: str,
    reason: str,
    chosen: RankedAction,
    denied: Iterable[str],
    safe_default: bool,
    original: DecisionRecordV1,
    deps: Deps,
    now: datetime,
) -> str:
    released = describe_call(chosen.call)
    said = f": {reason}" if reason else ""
    head = {
        "approved": f"Approved by {actor}{said}.",
        "rejected": f"Rejected by {actor}{said}.",
        "expired": "Nobody approved or rejected it in time "
        f"({deps.config.approval_ttl_s // 60} minutes).",
        "cancelled": f"Cancelled by {actor}{said}.",
    }[verdict]
    checked = f"The guards ran again at {now:%Y-%m-%d %H:%M} UTC"
    refused = "; ".join(denied)
    if verdict == "approved" and chosen.proposal_id == original.chosen.proposal_id:
        return f"{head} {checked} and still permit it: released {released}."
    because = f" ({refused})" if refused else ""
    what = "the safe default" if safe_default else "the next permitted alternative"
    return f"{head} {checked}{because}: released {what}, {released}."

"""The approval desk: opens approvals for decisions that need one, takes verdicts, expires
what waited too long, and releases, each through the approval graph.

Every verdict is written (step 1) before the graph is resumed, so a verdict is never lost: a
release that fails, or that a crash interrupts, is finished by the sweep the server runs
periodically (``Decider.sweep_approvals``), which also opens approvals for decisions stored
without one (a crash between the two writes) and expires approvals whose time ran out.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from agent import metrics
from agent.approvals.graph import ApprovalGraph, Releaser
from agent.approvals.models import Approval, Verdict, approval_id_for, released_id_for
from agent.approvals.release import build_release
from agent.approvals.store import ApprovalRequest, StepTaken
from agent.deps import Deps
from agent.errors import ErrorCode, NextbestError
from agent.privacy.redact import redact_record
from agent.privacy.scrub import scrub
from agent.privacy.sealing import KeyDestroyed
from agent.record import DecisionRecordV1
from agent.stores.decision_log import RecordErased
from policies import Outcome

__all__ = ["ApprovalClosed", "ApprovalDesk"]


log = logging.getLogger("nextbest.approvals")


class ApprovalClosed(Exception):  # noqa: N818 - reads better at the raise
    """The approval already has another verdict (or expired): ``approval`` says which."""

    def __init__(self, approval: Approval) -> None:
        super().__init__(f"approval {approval.approval_id!r} is {approval.status}")
        self.approval = approval


class ApprovalDesk:
    """Blocking (call it from worker threads)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._graph = ApprovalGraph(deps.config.approvals_target)
        self._releaser = Releaser(release=self._release)

    @property
    def _ttl(self) -> timedelta:
        return timedelta(seconds=self._deps.config.approval_ttl_s)

    def open(self, record: DecisionRecordV1) -> Approval:
        """Step 0 and the paused thread, for a logged decision that needs approval."""
        approval_id = record.approval_id or approval_id_for(record.decision_id)
        [trace] = [t for t in record.proposals if t.proposal_id == record.chosen.proposal_id]
        why = [
            f"{v.policy_id}: {v.message}"
            for v in trace.evaluation.verdicts
            if v.outcome is Outcome.REQUIRE_APPROVAL
        ]
        approval = self._deps.approvals.open(
            ApprovalRequest(
                approval_id=approval_id,
                decision_id=record.decision_id,
                customer_id=record.customer_id,
                action=record.chosen.call,
                why=why,
                requested_at=record.created_at,
                expires_at=record.created_at + self._ttl,
            )
        )
        self._graph.start(approval_id, record.decision_id, self._releaser)
        return approval

    def get(self, approval_id: str) -> Approval:
        try:
            approval = self._deps.approvals.get(approval_id)
        except KeyDestroyed:
            raise NextbestError(
                f"approval {approval_id!r} belongs to an erased customer: it can no longer be "
                "read or decided",
                ErrorCode.APPROVAL_ERASED,
                field="approval_id",
            ) from None
        if approval is None:
            raise NextbestError(
                f"approval {approval_id!r} not found",
                ErrorCode.APPROVAL_NOT_FOUND,
                field="approval_id",
            )
        return approval

    def decide(self, approval_id: str, verdict: Verdict, actor: str, reason: str) -> Approval:
        """A reviewer's approve or reject; raises ApprovalClosed when it has another verdict
        or has expired (expiring it first when its time ran out unnoticed)."""
        now = self._deps.clock()
        approval = self.get(approval_id)
        if approval.status == "pending" and now >= approval.expires_at:
            self._expire(approval_id, now)
            raise ApprovalClosed(self.get(approval_id))
        try:
            self._deps.approvals.decide(approval_id, verdict, actor, scrub(reason), now)
        except StepTaken as taken:
            if (taken.existing.kind, taken.existing.actor) != (verdict, actor):
                raise ApprovalClosed(self.get(approval_id)) from None
        self._resume(approval_id)  # a retry of the same verdict finishes an unfinished release
        return self.get(approval_id)

    def open_missing(self, decision_id: str) -> bool:
        """Open the approval of a logged decision stored without one (sweep)."""
        try:
            record = self._deps.decisions.get(decision_id)
        except RecordErased:
            return False
        if record is None or record.approval_id is None:
            return False
        self.open(record)
        return True

    def expire(self, approval_id: str) -> None:
        """Expire a pending approval whose time ran out, and release the safe default."""
        self._expire(approval_id, self._deps.clock())

    def finish(self, approval_id: str) -> bool:
        """Release what a written verdict releases (sweep: after a failure or a crash)."""
        return self._resume(approval_id)

    def cancel_customer(self, customer_id: str, actor: str) -> int:
        """Before erasure: cancel the customer's pending approvals, close any verdict still
        waiting for its release (nothing is released to an erased customer), and delete every
        thread of theirs; how many were cancelled."""
        now = self._deps.clock()
        cancelled = 0
        for approval in self._deps.approvals.of_customer(customer_id):
            if approval.status == "pending":
                with contextlib.suppress(StepTaken):
                    self._deps.approvals.decide(
                        approval.approval_id, "cancelled", actor, "the customer was erased", now
                    )
                    cancelled += 1
            elif approval.status != "cancelled" and len(approval.steps) == 2:
                self._deps.approvals.release(
                    approval.approval_id,
                    decision_id=None,
                    action=None,
                    reason="nothing released: the customer was erased",
                    at=now,
                    deliver=False,
                )
            self._graph.forget(approval.approval_id)
        return cancelled

    def close(self) -> None:
        self._graph.close()

    # -- the graph's side ----------------------------------------------------------------------

    def _expire(self, approval_id: str, now: datetime) -> None:
        minutes = self._deps.config.approval_ttl_s // 60
        with contextlib.suppress(StepTaken):
            self._deps.approvals.decide(
                approval_id, "expired", "system", f"no verdict within {minutes} minutes", now
            )
        self._resume(approval_id)

    def _resume(self, approval_id: str) -> bool:
        """Run the release of a verdict; False when it failed (the next sweep retries)."""
        approval = self.get(approval_id)
        if approval.status in ("pending", "cancelled") or approval.released_decision_id:
            return False
        verdict = approval.steps[1]
        answer = {"kind": verdict.kind, "actor": verdict.actor, "reason": verdict.reason}
        try:
            self._graph.resume(approval_id, approval.decision_id, answer, self._releaser)
            if self.get(approval_id).steps[-1].kind != "released":  # a finished thread
                self._release(approval_id, answer)
        except Exception:  # the verdict is written: the next sweep tries again
            log.exception("approval %s: the release failed; the next sweep retries", approval_id)
            return False
        return True

    def _release(self, approval_id: str, verdict: dict[str, str]) -> str | None:
        """The release node's work: the decision the verdict releases, stored, and step 2."""
        deps = self._deps
        approval = self.get(approval_id)
        if approval.released_decision_id is not None:
            return approval.released_decision_id
        now = deps.clock()
        released_id = released_id_for(approval.decision_id)
        try:
            original = deps.decisions.get(approval.decision_id)
            stored = deps.decisions.get(released_id)
            if stored is None and original is not None:
                built = build_release(
                    deps,
                    original,
                    verdict["kind"],  # type: ignore[arg-type]
                    approval_id=approval_id,
                    actor=verdict["actor"],
                    reason=verdict["reason"],
                    now=now,
                )
                stored = deps.decisions.append(redact_record(built, deps.privacy.tokenizer))
                metrics.observe(stored)
        except (RecordErased, NextbestError) as gone:  # erased while the verdict was pending
            deps.approvals.release(
                approval_id,
                decision_id=None,
                action=None,
                reason=f"nothing released: {gone}",
                at=now,
                deliver=False,
            )
            return None
        assert stored is not None
        deps.approvals.release(
            approval_id,
            decision_id=stored.decision_id,
            action=stored.chosen.call,
            reason=stored.rationale,
            at=now,
            deliver=deps.config.approval_webhook_url is not None,
        )
        return stored.decision_id

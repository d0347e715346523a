"""Approvals as the API and the CLI use them: async, each step under the customer's lock (a
release re-guards and appends like a decision), and refusals as NextbestErrors."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from agent.approvals.desk import ApprovalClosed, ApprovalDesk
from agent.approvals.models import Approval, ApprovalStatus, Verdict
from agent.approvals.webhook import WebhookError, WebhookSender
from agent.deps import Deps
from agent.errors import ErrorCode, NextbestError
from agent.locks import CustomerLocks
from agent.record import DecisionRecordV1
from agent.stores.page import InvalidCursor, Page

__all__ = ["ApprovalService", "SweepReport"]

log = logging.getLogger("nextbest.approvals")


@dataclass(frozen=True, slots=True)
class SweepReport:
    opened: int = 0
    expired: int = 0
    released: int = 0


def _closed(approval: Approval) -> NextbestError:
    when = "" if approval.decided_at is None else f" at {approval.decided_at.isoformat()}"
    return NextbestError(
        f"approval {approval.approval_id!r} is already {approval.status}"
        f" (by {approval.decided_by}{when}): it takes no other verdict",
        ErrorCode.APPROVAL_CLOSED,
        field="approval_id",
    )


class ApprovalService:
    def __init__(self, deps: Deps, locks: CustomerLocks) -> None:
        self._deps = deps
        self._locks = locks
        self._desk = ApprovalDesk(deps)

    async def open(self, record: DecisionRecordV1) -> None:
        """Open the approval of a decision just logged (call under the customer's lock). A
        failure is logged, not raised: the decision is stored, and the sweep opens it."""
        try:
            await asyncio.to_thread(self._desk.open, record)
        except Exception:
            log.exception("approval of %s: not opened; the next sweep opens it", record.decision_id)

    async def get(self, approval_id: str) -> Approval:
        return await asyncio.to_thread(self._desk.get, approval_id)

    async def of_decision(self, decision_id: str) -> Approval | None:
        return await asyncio.to_thread(self._deps.approvals.get_by_decision, decision_id)

    async def list(
        self,
        *,
        status: ApprovalStatus | None = None,
        customer_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Approval]:
        try:
            return await asyncio.to_thread(
                self._deps.approvals.query,
                status=status,
                customer_id=customer_id,
                limit=limit,
                cursor=cursor,
            )
        except InvalidCursor as exc:
            raise NextbestError(str(exc), ErrorCode.INVALID_CURSOR, field="cursor") from None

    async def decide(
        self, approval_id: str, verdict: Verdict, *, reason: str, actor: str
    ) -> Approval:
        """Approve or reject: the verdict is appended, the graph resumes and the release (the
        guards run again) is appended. The same verdict by the same caller again returns the
        approval as it stands; another verdict is refused (409)."""
        approval = await self.get(approval_id)
        async with self._locks.of(approval.customer_id):
            try:
                return await asyncio.to_thread(
                    self._desk.decide, approval_id, verdict, actor, reason
                )
            except ApprovalClosed as closed:
                raise _closed(closed.approval) from None

    async def sweep(self) -> SweepReport:
        """Open what a crash left unopened, expire what waited too long, and finish releases
        that failed or were interrupted."""
        store, now = self._deps.approvals, self._deps.clock()
        opened = expired = released = 0
        for decision_id, customer_id in await asyncio.to_thread(store.unopened):
            async with self._locks.of(customer_id):
                opened += await asyncio.to_thread(self._desk.open_missing, decision_id)
        for approval_id, _ in await asyncio.to_thread(store.overdue, now):
            await self.expire(approval_id)
            expired += 1
        for approval_id, customer_id in await asyncio.to_thread(store.unreleased):
            async with self._locks.of(customer_id):
                released += await asyncio.to_thread(self._desk.finish, approval_id)
        return SweepReport(opened=opened, expired=expired, released=released)

    async def expire(self, approval_id: str) -> Approval:
        """Expire an approval whose time ran out (the sweep's work, for one) and release the
        safe default; one that has a verdict by now is left as it is."""
        approval = await self.get(approval_id)
        async with self._locks.of(approval.customer_id):
            await asyncio.to_thread(self._desk.expire, approval_id)
        return await self.get(approval_id)

    async def deliver(self, sender: WebhookSender) -> int:
        """Report the releases not yet delivered to the webhook; how many were delivered."""
        store = self._deps.approvals
        delivered = 0
        for delivery in await asyncio.to_thread(store.undelivered):
            approval = await self.get(delivery.approval_id)
            try:
                await sender.send(approval)
            except WebhookError as error:
                log.warning("approval %s: webhook not delivered: %s", approval.approval_id, error)
                await asyncio.to_thread(store.failed, approval.approval_id, str(error))
                continue
            await asyncio.to_thread(store.delivered, approval.approval_id, self._deps.clock())
            delivered += 1
        return delivered

    async def cancel_customer(self, customer_id: str, actor: str) -> int:
        """Cancel an erased customer's pending approvals; how many."""
        async with self._locks.of(customer_id):
            return await asyncio.to_thread(self._desk.cancel_customer, customer_id, actor)

    def close(self) -> None:
        self._desk.close()

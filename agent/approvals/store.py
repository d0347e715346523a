"""The approval store: each approval's steps as append-only, chained rows (``approvals``), and
the outbox of webhook deliveries (``approval_deliveries``).

A step's body (the action, which may carry message variables or a case summary, and the
reviewer's reason) is sealed with its customer's key, like decision records and reviews:
after erasure the rows and their hashes stay, and reading one raises KeyDestroyed.

Step numbers make each step happen once: 0 requested, 1 the verdict, 2 the release. Whoever
writes a step second (a retry, a second worker, a verdict racing the expiry) finds the first
one there, and is told what it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from agent.approvals.models import Approval, ApprovalStatus, ApprovalStep, StepKind
from agent.audit.chain import append_entry
from agent.privacy.cipher import RecordCipher
from agent.privacy.sealing import CustomerSeal, KeyDestroyed
from agent.stores.database import Connection, DatabaseTarget, attach
from agent.stores.page import (
    CursorKey,
    InvalidCursor,
    Page,
    check_limit,
    decode_cursor,
    encode_cursor,
)
from agent.stores.sqlite import from_micros, to_micros
from tools import ActionCall

__all__ = [
    "ApprovalRequest",
    "ApprovalStore",
    "Delivery",
    "SqlApprovalStore",
    "StepTaken",
]


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    approval_id: str
    decision_id: str
    customer_id: str
    action: ActionCall
    why: list[str]
    requested_at: datetime
    expires_at: datetime


class StepTaken(Exception):  # noqa: N818 - reads better at the raise
    """The step was already written, as ``existing``."""

    def __init__(self, existing: ApprovalStep) -> None:
        super().__init__(f"already {existing.kind} at {existing.at.isoformat()}")
        self.existing = existing


@dataclass(frozen=True, slots=True)
class Delivery:
    approval_id: str
    attempts: int


class _StoredStep(ApprovalStep):
    """A step's body as stored; the request also holds what waits and why."""

    action: ActionCall | None = None
    why: list[str] = []


class ApprovalStore(Protocol):
    """Blocking and safe to call from many threads."""

    def open(self, request: ApprovalRequest) -> Approval:
        """Step 0 (requested); the existing approval when it was opened before."""
        ...

    def decide(
        self, approval_id: str, kind: StepKind, actor: str, reason: str, at: datetime
    ) -> Approval:
        """Step 1 (the verdict); raises StepTaken when there is one, LookupError when the
        approval is unknown."""
        ...

    def release(
        self,
        approval_id: str,
        *,
        decision_id: str | None,
        action: ActionCall | None,
        reason: str,
        at: datetime,
        deliver: bool,
    ) -> Approval:
        """Step 2 (released: a decision, or none when the customer is gone), and a webhook
        delivery to make when ``deliver``; the existing approval when released before."""
        ...

    def get(self, approval_id: str) -> Approval | None:
        """Raises KeyDestroyed when its customer was erased."""
        ...

    def get_by_decision(self, decision_id: str) -> Approval | None: ...

    def query(
        self,
        *,
        status: ApprovalStatus | None,
        customer_id: str | None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Approval]:
        """Pending ones oldest first (the queue); otherwise newest first. Erased customers'
        approvals are left out."""
        ...

    def overdue(self, now: datetime) -> list[tuple[str, str]]:
        """Pending approvals whose time ran out: (approval_id, customer_id)."""
        ...

    def unreleased(self) -> list[tuple[str, str]]:
        """Approvals with a verdict to act on but no release yet (interrupted, or crashed):
        (approval_id, customer_id)."""
        ...

    def unopened(self, limit: int = 100) -> list[tuple[str, str]]:
        """Decisions that need approval but have none (a crash between the two writes):
        (decision_id, customer_id)."""
        ...

    def of_customer(self, customer_id: str) -> list[Approval]: ...

    def undelivered(self, limit: int = 100, *, max_attempts: int = 20) -> list[Delivery]:
        """Releases to report, oldest first; one that failed ``max_attempts`` sweeps is given
        up (its row keeps the last error)."""
        ...

    def delivered(self, approval_id: str, at: datetime) -> None: ...

    def failed(self, approval_id: str, error: str) -> None: ...

    def close(self) -> None: ...


class _ApprovalCursor(CursorKey):
    t: int
    id: str
    q: str


_STEP_COLUMNS = (
    "approval_id, step, kind, decision_id, customer_id, ts_us, expires_us, actor,"
    " released_decision_id, body"
)
_STEPS = {"requested": 0, "approved": 1, "rejected": 1, "expired": 1, "cancelled": 1, "released": 2}


class SqlApprovalStore:
    def __init__(self, db: DatabaseTarget, *, cipher: RecordCipher | None = None) -> None:
        self._db, self._owns_db = attach(db)
        self._seal = CustomerSeal(cipher)
        self._sealed = cipher is not None

    # -- writes ------------------------------------------------------------------------------

    def open(self, request: ApprovalRequest) -> Approval:
        body = _StoredStep(
            kind="requested",
            at=request.requested_at,
            actor="system",
            action=request.action,
            why=request.why,
        )
        with self._db.write() as conn:
            if not self._has(conn, request.approval_id, 0):
                self._insert(
                    conn,
                    request.approval_id,
                    body,
                    decision_id=request.decision_id,
                    customer_id=request.customer_id,
                    expires=request.expires_at,
                )
        found = self.get(request.approval_id)
        assert found is not None
        return found

    def decide(
        self, approval_id: str, kind: StepKind, actor: str, reason: str, at: datetime
    ) -> Approval:
        with self._db.write() as conn:
            first = self._steps(conn, approval_id)
            if not first:
                raise LookupError(approval_id)
            if len(first) > 1:
                raise StepTaken(first[1][1])
            _, _, decision_id, customer_id = first[0]
            step = _StoredStep(kind=kind, at=at, actor=actor, reason=reason)
            self._insert(conn, approval_id, step, decision_id=decision_id, customer_id=customer_id)
        found = self.get(approval_id)
        assert found is not None
        return found

    def release(
        self,
        approval_id: str,
        *,
        decision_id: str | None,
        action: ActionCall | None,
        reason: str,
        at: datetime,
        deliver: bool,
    ) -> Approval:
        with self._db.write() as conn:
            steps = self._steps(conn, approval_id)
            if len(steps) == 2:
                _, _, original, customer_id = steps[0]
                step = _StoredStep(
                    kind="released",
                    at=at,
                    actor="system",
                    reason=reason,
                    released_decision_id=decision_id,
                    released_action=action,
                )
                self._insert(conn, approval_id, step, decision_id=original, customer_id=customer_id)
                if deliver and decision_id is not None:
                    conn.execute(
                        "INSERT INTO approval_deliveries (approval_id, created_us)"
                        " VALUES (?, ?) ON CONFLICT (approval_id) DO NOTHING",
                        (approval_id, to_micros(at)),
                    )
            elif len(steps) < 2:
                raise LookupError(f"approval {approval_id!r} has no verdict to release")
        found = self.get(approval_id)
        assert found is not None
        return found

    def _has(self, conn: Connection, approval_id: str, step: int) -> bool:
        row = conn.execute(
            "SELECT 1 FROM approvals WHERE approval_id = ? AND step = ?", (approval_id, step)
        ).fetchone()
        return row is not None

    def _insert(
        self,
        conn: Connection,
        approval_id: str,
        step: _StoredStep,
        *,
        decision_id: str,
        customer_id: str,
        expires: datetime | None = None,
    ) -> None:
        number = _STEPS[step.kind]
        ts = to_micros(step.at)
        body = step.model_dump_json()
        key = f"{approval_id}/{number}"
        conn.execute(
            f"INSERT INTO approvals ({_STEP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                approval_id,
                number,
                step.kind,
                decision_id,
                customer_id,
                ts,
                None if expires is None else to_micros(expires),
                step.actor,
                step.released_decision_id,
                self._seal.seal(conn, customer_id, body, key),
            ),
        )
        append_entry(conn, "approvals", key, ts)

    # -- reads -------------------------------------------------------------------------------

    def _steps(self, conn: Connection, approval_id: str) -> list[tuple[int, _StoredStep, str, str]]:
        rows = conn.execute(
            "SELECT step, body, decision_id, customer_id FROM approvals"
            " WHERE approval_id = ? ORDER BY step",
            (approval_id,),
        ).fetchall()
        return [(n, self._open(conn, approval_id, n, c, body), d, c) for n, body, d, c in rows]

    def _open(
        self, conn: Connection, approval_id: str, step: int, customer_id: str, body: str
    ) -> _StoredStep:
        opened = self._seal.open(conn, customer_id, body, f"{approval_id}/{step}")
        return _StoredStep.model_validate_json(opened)

    def get(self, approval_id: str) -> Approval | None:
        conn = self._db.connection()
        rows = conn.execute(
            f"SELECT {_STEP_COLUMNS} FROM approvals WHERE approval_id = ? ORDER BY step",
            (approval_id,),
        ).fetchall()
        if not rows:
            return None
        steps = [self._open(conn, approval_id, row[1], row[4], row[9]) for row in rows]
        return _view(rows[0], steps)

    def get_by_decision(self, decision_id: str) -> Approval | None:
        row = (
            self._db.connection()
            .execute(
                "SELECT approval_id FROM approvals WHERE decision_id = ? AND step = 0",
                (decision_id,),
            )
            .fetchone()
        )
        return None if row is None else self.get(row[0])

    def query(
        self,
        *,
        status: ApprovalStatus | None,
        customer_id: str | None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Approval]:
        check_limit(limit)
        clauses: list[str] = ["r.step = 0"]
        params: list[Any] = []
        if customer_id is not None:
            clauses.append("r.customer_id = ?")
            params.append(customer_id)
        if status == "pending":
            clauses.append(
                "NOT EXISTS (SELECT 1 FROM approvals v"
                " WHERE v.approval_id = r.approval_id AND v.step = 1)"
            )
        elif status is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM approvals v"
                " WHERE v.approval_id = r.approval_id AND v.step = 1 AND v.kind = ?)"
            )
            params.append(status)
        oldest_first = status == "pending"
        fingerprint = repr((status, customer_id))
        if cursor is not None:
            after = decode_cursor(cursor, _ApprovalCursor)
            if after.q != fingerprint:
                raise InvalidCursor("invalid cursor: it belongs to a query with other filters")
            clauses.append(f"(r.ts_us, r.approval_id) {'>' if oldest_first else '<'} (?, ?)")
            params.extend((after.t, after.id))
        order = "ASC" if oldest_first else "DESC"
        conn = self._db.connection()
        found = conn.execute(
            f"SELECT r.approval_id, r.ts_us FROM approvals r WHERE {' AND '.join(clauses)}"
            f" ORDER BY r.ts_us {order}, r.approval_id {order} LIMIT ?",
            (*params, limit + 1),
        ).fetchall()
        items = [self._readable(approval_id) for approval_id, _ in found[:limit]]
        next_cursor = None
        if len(found) > limit:
            last_id, last_us = found[limit - 1]
            next_cursor = encode_cursor(_ApprovalCursor(t=last_us, id=last_id, q=fingerprint))
        return Page[Approval](items=[a for a in items if a is not None], next_cursor=next_cursor)

    def _readable(self, approval_id: str) -> Approval | None:
        try:
            return self.get(approval_id)
        except KeyDestroyed:
            return None

    def overdue(self, now: datetime) -> list[tuple[str, str]]:
        rows = self._db.connection().execute(
            "SELECT r.approval_id, r.customer_id FROM approvals r"
            " WHERE r.step = 0 AND r.expires_us <= ?"
            " AND NOT EXISTS (SELECT 1 FROM approvals v"
            " WHERE v.approval_id = r.approval_id AND v.step = 1)"
            " ORDER BY r.expires_us",
            (to_micros(now),),
        )
        return [(approval_id, customer_id) for approval_id, customer_id in rows]

    def unreleased(self) -> list[tuple[str, str]]:
        rows = self._db.connection().execute(
            "SELECT v.approval_id, v.customer_id FROM approvals v"
            " WHERE v.step = 1 AND v.kind != 'cancelled'"
            " AND NOT EXISTS (SELECT 1 FROM approvals r"
            " WHERE r.approval_id = v.approval_id AND r.step = 2)"
            " ORDER BY v.ts_us"
        )
        return [(approval_id, customer_id) for approval_id, customer_id in rows]

    def unopened(self, limit: int = 100) -> list[tuple[str, str]]:
        rows = self._db.connection().execute(
            "SELECT d.decision_id, d.customer_id FROM decisions d"
            " WHERE d.approval_required = 1 AND d.kind = 'decision'"
            " AND NOT EXISTS (SELECT 1 FROM approvals a"
            " WHERE a.decision_id = d.decision_id AND a.step = 0)"
            # an erased customer's decision can no longer be read, nor its approval opened
            " AND (? = 0 OR EXISTS (SELECT 1 FROM customer_keys k"
            " WHERE k.customer_id = d.customer_id))"
            " ORDER BY d.created_us LIMIT ?",
            (self._sealed, limit),
        )
        return [(decision_id, customer_id) for decision_id, customer_id in rows]

    def of_customer(self, customer_id: str) -> list[Approval]:
        rows = self._db.connection().execute(
            "SELECT approval_id FROM approvals WHERE customer_id = ? AND step = 0",
            (customer_id,),
        )
        found = [self._readable(approval_id) for (approval_id,) in rows.fetchall()]
        return [a for a in found if a is not None]

    # -- webhook outbox ----------------------------------------------------------------------

    def undelivered(self, limit: int = 100, *, max_attempts: int = 20) -> list[Delivery]:
        rows = self._db.connection().execute(
            "SELECT approval_id, attempts FROM approval_deliveries WHERE delivered_us IS NULL"
            " AND attempts < ? ORDER BY created_us LIMIT ?",
            (max_attempts, limit),
        )
        return [Delivery(approval_id, attempts) for approval_id, attempts in rows]

    def delivered(self, approval_id: str, at: datetime) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE approval_deliveries SET delivered_us = ?, attempts = attempts + 1,"
                " last_error = NULL WHERE approval_id = ?",
                (to_micros(at), approval_id),
            )

    def failed(self, approval_id: str, error: str) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE approval_deliveries SET attempts = attempts + 1, last_error = ?"
                " WHERE approval_id = ?",
                (error[:500], approval_id),
            )

    def close(self) -> None:
        if self._owns_db:
            self._db.close()


def _view(row: tuple[Any, ...], steps: list[_StoredStep]) -> Approval:
    """An approval from its first row and its opened steps (step order)."""
    first, verdict, released = steps[0], None, None
    for step in steps[1:]:
        if step.kind == "released":
            released = step
        else:
            verdict = step
    assert first.action is not None
    status: ApprovalStatus = "pending" if verdict is None else verdict.kind  # type: ignore[assignment]
    return Approval(
        approval_id=row[0],
        decision_id=row[3],
        customer_id=row[4],
        status=status,
        action=first.action,
        why=first.why,
        requested_at=first.at,
        expires_at=from_micros(row[6]),
        decided_at=None if verdict is None else verdict.at,
        decided_by=None if verdict is None else verdict.actor,
        reason=None if verdict is None else verdict.reason,
        released_decision_id=None if released is None else released.released_decision_id,
        released_action=None if released is None else released.released_action,
        steps=[ApprovalStep.model_validate(s.model_dump(exclude={"action", "why"})) for s in steps],
    )

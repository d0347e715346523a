"""The review store: append-only review rows beside the decision log, chained, with their body
(action, note) sealed with the customer's key so that erasure makes them unreadable too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from agent.audit.chain import append_entry
from agent.privacy import RecordCipher
from agent.privacy.sealing import CustomerSeal, KeyDestroyed
from agent.reviews.models import ErasedReview, LoggedReview, ReviewRecordV1, Verdict
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

__all__ = ["ReviewQuery", "ReviewStore", "SqlReviewStore"]


@dataclass(frozen=True, slots=True)
class ReviewQuery:
    decision_id: str | None = None
    verdict: Verdict | None = None
    tag: str | None = None
    reviewer: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def fingerprint(self) -> str:
        return repr(
            (self.decision_id, self.verdict, self.tag, self.reviewer, self.since, self.until)
        )


class ReviewStore(Protocol):
    """Reviews, append-only. Blocking and safe to call from many threads."""

    def append(self, review: ReviewRecordV1) -> ReviewRecordV1: ...

    def query(
        self, q: ReviewQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[LoggedReview]:
        """Newest first; a review whose customer was erased shows as an ErasedReview."""
        ...

    def close(self) -> None: ...


class _ReviewCursor(CursorKey):
    t: int
    id: str
    q: str


_COLUMNS = "review_id, decision_id, customer_id, verdict, reviewer, tags, created_us, body"


def _tags_column(tags: list[str]) -> str:
    """Tags as one searchable column: ``,a,b,`` (a tag is ``%,a,%``)."""
    return "," + ",".join(tags) + "," if tags else ""


class SqlReviewStore:
    def __init__(self, db: DatabaseTarget, *, cipher: RecordCipher | None = None) -> None:
        self._db, self._owns_db = attach(db)
        self._seal = CustomerSeal(cipher)

    def append(self, review: ReviewRecordV1) -> ReviewRecordV1:
        created = to_micros(review.created_at)
        with self._db.write() as conn:
            body = self._seal.seal(
                conn, review.customer_id, review.model_dump_json(), review.review_id
            )
            conn.execute(
                f"INSERT INTO reviews ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    review.review_id,
                    review.decision_id,
                    review.customer_id,
                    review.verdict,
                    review.reviewer,
                    _tags_column(review.tags),
                    created,
                    body,
                ),
            )
            append_entry(conn, "reviews", review.review_id, created)
        return review

    def query(
        self, q: ReviewQuery, *, limit: int = 50, cursor: str | None = None
    ) -> Page[LoggedReview]:
        check_limit(limit)
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("decision_id", q.decision_id),
            ("verdict", q.verdict),
            ("reviewer", q.reviewer),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if q.tag is not None:
            clauses.append("tags LIKE ?")
            params.append(f"%,{q.tag},%")
        if q.since is not None:
            clauses.append("created_us >= ?")
            params.append(to_micros(q.since))
        if q.until is not None:
            clauses.append("created_us < ?")
            params.append(to_micros(q.until))
        fingerprint = q.fingerprint()
        if cursor is not None:
            after = decode_cursor(cursor, _ReviewCursor)
            if after.q != fingerprint:
                raise InvalidCursor("invalid cursor: it belongs to a query with other filters")
            clauses.append("(created_us, review_id) < (?, ?)")
            params.extend((after.t, after.id))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        conn = self._db.connection()
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM reviews {where}"
            " ORDER BY created_us DESC, review_id DESC LIMIT ?",
            (*params, limit + 1),
        ).fetchall()
        items = [self._logged(conn, row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(_ReviewCursor(t=last[6], id=last[0], q=fingerprint))
        return Page[LoggedReview](items=items, next_cursor=next_cursor)

    def close(self) -> None:
        if self._owns_db:
            self._db.close()

    def _logged(self, conn: Connection, row: tuple[Any, ...]) -> LoggedReview:
        review_id, decision_id, customer_id, verdict, reviewer, tags, created_us, body = row
        try:
            return ReviewRecordV1.model_validate_json(
                self._seal.open(conn, customer_id, body, review_id)
            )
        except KeyDestroyed:
            return ErasedReview(
                review_id=review_id,
                decision_id=decision_id,
                customer_id=customer_id,
                verdict=verdict,
                tags=[t for t in tags.split(",") if t],
                reviewer=reviewer,
                created_at=from_micros(created_us),
            )

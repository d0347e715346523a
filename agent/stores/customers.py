"""The customer store: profiles (latest wins) and their interaction events (idempotent by id)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Protocol

from agent.events import Event, scrub_event
from agent.profile import Profile
from agent.stores.database import DatabaseTarget, attach
from agent.stores.page import CursorKey, Page, check_limit, decode_cursor, encode_cursor
from agent.stores.sqlite import to_micros

__all__ = ["CustomerNotFoundError", "CustomerStore", "SqlCustomerStore"]


class CustomerNotFoundError(LookupError):
    """Events were sent for a customer whose profile is not stored."""


class CustomerStore(Protocol):
    """Profiles and events of customers. Blocking and safe to call from many threads."""

    def put_profile(self, profile: Profile) -> bool:
        """Create or replace a profile; True when it was created."""
        ...

    def get_profile(self, customer_id: str) -> Profile | None: ...

    def list_profiles(self, *, limit: int = 50, cursor: str | None = None) -> Page[Profile]:
        """Profiles ordered by customer_id."""
        ...

    def append_events(self, customer_id: str, events: Sequence[Event]) -> int:
        """Store events of a stored customer; re-sent ids are ignored. Returns how many were new."""
        ...

    def recent_events(self, customer_id: str, *, since: datetime, limit: int = 200) -> list[Event]:
        """The newest ``limit`` events at or after ``since``, oldest first."""
        ...

    def events_of_types(
        self, customer_id: str, types: Collection[str], *, since: datetime
    ) -> list[Event]:
        """Every event of these types at or after ``since``, oldest first (no limit: contact
        accounting must see all of them)."""
        ...

    def delete_customer(self, customer_id: str) -> tuple[bool, int]:
        """Erase the profile and every event of the customer: (profile deleted, events)."""
        ...

    def close(self) -> None: ...


class _ProfileCursor(CursorKey):
    after: str


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlCustomerStore:
    """CustomerStore on the SQL database, SQLite or PostgreSQL (``profiles`` and ``events``)."""

    def __init__(self, db: DatabaseTarget, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self._db, self._owns_db = attach(db)
        self._clock = clock

    def put_profile(self, profile: Profile) -> bool:
        now = self._clock().astimezone(UTC).isoformat()
        with self._db.write() as conn:
            exists = conn.execute(
                "SELECT 1 FROM profiles WHERE customer_id = ?", (profile.customer_id,)
            ).fetchone()
            conn.execute(
                "INSERT INTO profiles (customer_id, body, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (customer_id)"
                " DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (profile.customer_id, profile.model_dump_json(), now, now),
            )
        return exists is None

    def get_profile(self, customer_id: str) -> Profile | None:
        row = (
            self._db.connection()
            .execute("SELECT body FROM profiles WHERE customer_id = ?", (customer_id,))
            .fetchone()
        )
        return None if row is None else Profile.model_validate_json(row[0])

    def list_profiles(self, *, limit: int = 50, cursor: str | None = None) -> Page[Profile]:
        check_limit(limit)
        after = "" if cursor is None else decode_cursor(cursor, _ProfileCursor).after
        rows = (
            self._db.connection()
            .execute(
                "SELECT body FROM profiles WHERE customer_id > ? ORDER BY customer_id LIMIT ?",
                (after, limit + 1),
            )
            .fetchall()
        )
        items = [Profile.model_validate_json(body) for (body,) in rows[:limit]]
        more = len(rows) > limit
        next_cursor = encode_cursor(_ProfileCursor(after=items[-1].customer_id)) if more else None
        return Page[Profile](items=items, next_cursor=next_cursor)

    def append_events(self, customer_id: str, events: Sequence[Event]) -> int:
        with self._db.write() as conn:
            known = conn.execute(
                "SELECT 1 FROM profiles WHERE customer_id = ?", (customer_id,)
            ).fetchone()
            if known is None:
                raise CustomerNotFoundError(f"customer {customer_id!r} is not stored")
            added = 0
            for event in map(scrub_event, events):
                decision_id = event.properties.get("decision_id")
                cur = conn.execute(
                    "INSERT INTO events (customer_id, event_id, ts_us, type, body, decision_id)"
                    " VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (customer_id, event_id) DO NOTHING",
                    (
                        customer_id,
                        event.id,
                        to_micros(event.ts),
                        event.type,
                        event.model_dump_json(),
                        decision_id if isinstance(decision_id, str) else None,
                    ),
                )
                added += cur.rowcount
        return added

    def recent_events(self, customer_id: str, *, since: datetime, limit: int = 200) -> list[Event]:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        rows = (
            self._db.connection()
            .execute(
                "SELECT body FROM ("
                "  SELECT body, ts_us, event_id FROM events"
                "  WHERE customer_id = ? AND ts_us >= ?"
                "  ORDER BY ts_us DESC, event_id DESC LIMIT ?"
                ") AS recent ORDER BY ts_us, event_id",
                (customer_id, to_micros(since), limit),
            )
            .fetchall()
        )
        return [Event.model_validate_json(body) for (body,) in rows]

    def events_of_types(
        self, customer_id: str, types: Collection[str], *, since: datetime
    ) -> list[Event]:
        wanted = sorted(types)
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        rows = (
            self._db.connection()
            .execute(
                "SELECT body FROM events"
                f" WHERE customer_id = ? AND type IN ({marks}) AND ts_us >= ?"
                " ORDER BY ts_us, event_id",
                (customer_id, *wanted, to_micros(since)),
            )
            .fetchall()
        )
        return [Event.model_validate_json(body) for (body,) in rows]

    def delete_customer(self, customer_id: str) -> tuple[bool, int]:
        with self._db.write() as conn:
            events = conn.execute("DELETE FROM events WHERE customer_id = ?", (customer_id,))
            profile = conn.execute("DELETE FROM profiles WHERE customer_id = ?", (customer_id,))
            deleted = (profile.rowcount > 0, events.rowcount)
        self._db.checkpoint()  # no copy of the deleted rows may linger in the write-ahead log
        return deleted

    def close(self) -> None:
        if self._owns_db:
            self._db.close()

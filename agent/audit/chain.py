"""The hash chain: every append-only row joins it, in the transaction that writes the row.

An entry holds where the row is (``kind``: its table; ``ref``: its key), the SHA-256 of the
row's canonical bytes (every chained column; sealed records as their ciphertext, so an erased
customer's rows still verify), the previous entry's hash and its own:

    hash = SHA-256(prev || seq || kind || ref || payload_hash)

so an edited row no longer matches its payload hash, a deleted row leaves an entry pointing at
nothing, a row inserted beside the chain has no entry, and any rewrite of the chain itself
breaks the link to a signed checkpoint (:mod:`agent.audit.checkpoint`).

Pure functions over a connection: the stores call ``append_entry`` inside their write
transactions; verification and export read with the same encoding. Each backend renders a
row's columns with its own JSON function (SQLite's ``json_array``, PostgreSQL's
``json_build_array``), so a chain is verified by the backend that wrote it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the stores import the chain: types only, no cycle
    from agent.stores.database import Connection, Dialect


__all__ = [
    "CHAINED",
    "GENESIS",
    "ChainedTable",
    "append_entry",
    "backfill",
    "dialect_of",
    "entry_hash",
    "payload_hash",
    "payload_hash_sql",
    "select_payload",
]

GENESIS = "0" * 64
"""The ``prev`` of the first entry."""


@dataclass(frozen=True, slots=True)
class ChainedTable:
    """A table whose rows join the chain: the key columns its ``ref`` joins with ``/``, the
    columns its payload covers (fixed: a column added later is not covered by entries), and
    its one large column (the record or body), hashed as it is stored."""

    name: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    big: str
    time_column: str
    """When a row was written (what ``--since`` filters on)."""

    @property
    def ref_sql(self) -> str:
        """SQL expression of a row's ref."""
        return self.ref_sql_of("")

    def ref_sql_of(self, alias: str) -> str:
        """SQL expression of a row's ref, its columns prefixed with ``alias`` (``"t."``)."""
        return " || '/' || ".join(alias + key for key in self.keys)

    @property
    def lookup_sql(self) -> str:
        """SQL condition that finds the row of a ref (with ``lookup_params``), by its key."""
        return " AND ".join(f"{key} = ?" for key in self.keys)

    def lookup_params(self, ref: str) -> tuple[str, ...]:
        return tuple(ref.split("/", len(self.keys) - 1))


CHAINED: dict[str, ChainedTable] = {
    table.name: table
    for table in (
        ChainedTable(
            "decisions",
            ("decision_id",),
            (
                "decision_id", "customer_id", "created_at", "created_us", "kind", "action_type",
                "mode", "idempotency_key", "outcome", "approval_required", "contacts_customer",
                "channel", "purpose", "effective_us", "incentive_kind", "incentive_value",
                "incentive_currency", "direction", "interaction_id", "journey", "intent", "topic",
                "touch_channel", "segment", "playbook_id", "effort_score", "safe_default",
                "profile_source",
            ),
            big="record",
            time_column="created_us",
        ),
        ChainedTable(
            "outcomes",
            ("decision_id", "outcome_id"),
            (
                "decision_id", "outcome_id", "customer_id", "decision_us", "type", "ts_us",
                "recorded_us", "value_amount", "value_currency",
            ),
            big="body",
            time_column="recorded_us",
        ),
        ChainedTable(
            "erasures",
            ("receipt_id",),
            ("receipt_id", "customer_token", "erased_us"),
            big="body",
            time_column="erased_us",
        ),
        ChainedTable(
            "reviews",
            ("review_id",),
            (
                "review_id", "decision_id", "customer_id", "verdict", "reviewer", "tags",
                "created_us",
            ),
            big="body",
            time_column="created_us",
        ),
        ChainedTable(
            "approvals",
            ("approval_id", "step"),
            (
                "approval_id", "step", "kind", "decision_id", "customer_id", "ts_us",
                "expires_us", "actor", "released_decision_id",
            ),
            big="body",
            time_column="ts_us",
        ),
    )
}  # fmt: skip
"""Every append-only table the chain covers, by name (an entry's ``kind``)."""


def select_payload(table: ChainedTable, alias: str = "", dialect: Dialect = "sqlite") -> str:
    """The SELECT list of a row's canonical payload, two values:

    - its columns as one JSON array, as the backend renders it (SQLite's ``json_array``:
      compact, integers in decimal, reals with 15 significant digits, text JSON-escaped,
      NULL as null; PostgreSQL's ``json_build_array``), as UTF-8 bytes, and
    - its large column's bytes as stored.

    ``alias`` prefixes the column names (``"t."``), for a query that joins.
    """
    return ", ".join(_payload_parts(table, alias, dialect))


def _payload_parts(table: ChainedTable, alias: str, dialect: Dialect) -> tuple[str, str]:
    columns = ", ".join(alias + column for column in table.columns)
    if dialect == "postgres":
        return (
            f"convert_to(json_build_array({columns})::text, 'UTF8')",
            f"convert_to({alias}{table.big}, 'UTF8')",
        )
    return f"CAST(json_array({columns}) AS BLOB)", f"CAST({alias}{table.big} AS BLOB)"


def payload_hash_sql(table: ChainedTable, alias: str, dialect: Dialect) -> str:
    """SQL for a row's payload hash, computed inside the scan (SQLite: the ``payload_hash``
    function registered on the connection; PostgreSQL: its own ``sha256``)."""
    columns, big = _payload_parts(table, alias, dialect)
    if dialect == "postgres":
        return f"encode(sha256({columns} || '\\x0a'::bytea || {big}), 'hex')"
    return f"payload_hash({columns}, {big})"


def dialect_of(conn: Connection) -> Dialect:
    return "sqlite" if isinstance(conn, sqlite3.Connection) else "postgres"


def payload_hash(columns: bytes, big: bytes | None) -> str:
    """SHA-256 of a row's canonical bytes: the JSON array, a newline, the large column."""
    digest = hashlib.sha256(columns)
    digest.update(b"\n")
    if big is not None:
        digest.update(big)
    return digest.hexdigest()


def entry_hash(prev: str, seq: int, kind: str, ref: str, payload: str) -> str:
    """The hash of an entry: what it links to, where it sits, and what it covers."""
    return hashlib.sha256(f"{prev}\n{seq}\n{kind}\n{ref}\n{payload}".encode()).hexdigest()


def _payload(conn: Connection, table: ChainedTable, ref: str) -> str:
    row = conn.execute(
        f"SELECT {select_payload(table, dialect=dialect_of(conn))}"
        f" FROM {table.name} WHERE {table.lookup_sql}",
        table.lookup_params(ref),
    ).fetchone()
    if row is None:  # pragma: no cover - the caller has just written it
        raise LookupError(f"{table.name} row {ref!r} is not there to chain")
    return payload_hash(*row)


def append_entry(conn: Connection, kind: str, ref: str, ts_us: int) -> str:
    """Chain the row just written (call inside its write transaction); its entry's hash."""
    table = CHAINED[kind]
    last = conn.execute("SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (1, GENESIS) if last is None else (last[0] + 1, last[1])
    payload = _payload(conn, table, ref)
    digest = entry_hash(prev, seq, kind, ref, payload)
    conn.execute(
        "INSERT INTO chain (seq, kind, ref, ts_us, payload_hash, prev, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, kind, ref, ts_us, payload, prev, digest),
    )
    return digest


def backfill(conn: sqlite3.Connection) -> None:
    """Chain the rows written before the chain existed, oldest first (run once, by the
    migration that creates the chain: later, an unchained row is a tampering to report).
    Tables created after the chain start empty, and are skipped."""
    existing = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    rows: list[tuple[int, str, str]] = []
    for kind, table in CHAINED.items():
        if table.name not in existing:
            continue
        found: Iterable[tuple[int, str]] = conn.execute(
            f"SELECT {table.time_column}, {table.ref_sql} FROM {table.name}"
        )
        rows += [(ts, kind, ref) for ts, ref in found]
    for ts, kind, ref in sorted(rows):
        append_entry(conn, kind, ref, ts)

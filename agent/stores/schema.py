"""The SQLite schema of nextbest.db, as ordered migrations tracked by ``PRAGMA user_version``.

Both stores share the file, so the schema is one list: migration N brings the file from
version N-1 to N. Opening a file runs the missing migrations in one write transaction; a file
written by newer code is refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from agent.audit.chain import backfill

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SchemaTooNewError", "migrate"]


class SchemaTooNewError(RuntimeError):
    """The database file was written by a newer version of nextbest."""


Step = str | Callable[[sqlite3.Connection], None]
"""A migration step: an SQL statement, or Python for what SQL cannot do (hashing)."""

_V1: tuple[Step, ...] = (
    """
    CREATE TABLE IF NOT EXISTS profiles (
        customer_id TEXT PRIMARY KEY,
        body        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS events (
        customer_id TEXT NOT NULL REFERENCES profiles (customer_id),
        event_id    TEXT NOT NULL,
        ts_us       INTEGER NOT NULL,
        type        TEXT NOT NULL,
        body        TEXT NOT NULL,
        PRIMARY KEY (customer_id, event_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS events_by_time ON events (customer_id, ts_us, event_id)",
    """
    CREATE TABLE IF NOT EXISTS decisions (
        decision_id        TEXT PRIMARY KEY,
        customer_id        TEXT NOT NULL,
        created_at         TEXT NOT NULL,
        created_us         INTEGER NOT NULL,
        kind               TEXT NOT NULL,
        action_type        TEXT NOT NULL,
        mode               TEXT NOT NULL,
        idempotency_key    TEXT,
        outcome            TEXT NOT NULL,
        approval_required  INTEGER NOT NULL,
        contacts_customer  INTEGER NOT NULL,
        channel            TEXT,
        purpose            TEXT NOT NULL,
        effective_us       INTEGER NOT NULL,
        incentive_kind     TEXT,
        incentive_value    TEXT,
        incentive_currency TEXT,
        record             TEXT NOT NULL
    )
    """,
    """
    CREATE UNIQUE INDEX IF NOT EXISTS decisions_idempotency
        ON decisions (customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL
    """,
    "CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (created_us, decision_id)",
    """
    CREATE INDEX IF NOT EXISTS decisions_by_customer
        ON decisions (customer_id, created_us, decision_id)
    """,
    """
    CREATE INDEX IF NOT EXISTS decisions_by_customer_effective
        ON decisions (customer_id, effective_us)
    """,
    """
    CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
    BEGIN
        SELECT RAISE(ABORT, 'decisions are append-only: UPDATE is not allowed');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
    BEGIN
        SELECT RAISE(ABORT, 'decisions are append-only: DELETE is not allowed');
    END
    """,
)


def _append_only(table: str) -> tuple[str, str]:
    return (
        f"""
        CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
        BEGIN
            SELECT RAISE(ABORT, '{table} are append-only: UPDATE is not allowed');
        END
        """,
        f"""
        CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
        BEGIN
            SELECT RAISE(ABORT, '{table} are append-only: DELETE is not allowed');
        END
        """,
    )


_KEYS = {
    "decisions": "decision_id = NEW.decision_id",
    "outcomes": "decision_id = NEW.decision_id AND outcome_id = NEW.outcome_id",
    "erasures": "receipt_id = NEW.receipt_id",
    "chain": "seq = NEW.seq OR (kind = NEW.kind AND ref = NEW.ref)",
    "checkpoints": "size = NEW.size",
}


def _no_replace(table: str, key: str) -> str:
    return f"""
        CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table}
        WHEN EXISTS (SELECT 1 FROM {table} WHERE {key})
        BEGIN
            SELECT RAISE(ABORT, '{table} are append-only: a row is never replaced');
        END
        """


_DECISION_V2_COLUMNS = (
    "direction TEXT NOT NULL DEFAULT 'outbound'",
    "interaction_id TEXT",
    "journey TEXT",
    "intent TEXT",
    "topic TEXT",
    "touch_channel TEXT",
    "segment TEXT",
    "playbook_id TEXT",
    "effort_score REAL NOT NULL DEFAULT 0",
    "safe_default INTEGER NOT NULL DEFAULT 0",
    "profile_source TEXT NOT NULL DEFAULT 'store'",
)

_V2: tuple[Step, ...] = (
    # Outcomes and KPIs: the columns KPIs group and join by, derived at insert time
    # (agent.stores.decision_columns); rows written before this version are filled once from
    # their record, the only UPDATE the decisions table ever sees.
    *(f"ALTER TABLE decisions ADD COLUMN {column}" for column in _DECISION_V2_COLUMNS),
    "DROP TRIGGER decisions_no_update",
    """
    UPDATE decisions SET
        direction = COALESCE(json_extract(record, '$.context.direction'), 'outbound'),
        interaction_id = json_extract(record, '$.context.interaction_id'),
        journey = COALESCE(json_extract(record, '$.context.journey'),
                           json_extract(record, '$.signals.journey.journey')),
        intent = json_extract(record, '$.signals.intent.name'),
        segment = json_extract(record, '$.profile.segment'),
        playbook_id = json_extract(record, '$.chosen.playbook_id'),
        effort_score = COALESCE(json_extract(record, '$.signals.effort.score'), 0),
        safe_default = COALESCE(json_extract(record, '$.safe_default'), 0),
        profile_source = COALESCE(json_extract(record, '$.profile_source'), 'store')
    """,
    """
    UPDATE decisions SET
        topic = COALESCE(intent, journey),
        touch_channel = CASE WHEN direction = 'inbound'
            THEN COALESCE(json_extract(record, '$.context.channel'), channel) ELSE channel END
    """,
    _append_only("decisions")[0],  # decisions_no_update again
    # The KPI queries read only these indexes, never the rows: a row's record is large, and
    # the columns added above sit after it.
    """
    CREATE INDEX IF NOT EXISTS decisions_kpi ON decisions (
        created_us, decision_id, customer_id, kind, effective_us, action_type, direction,
        topic, interaction_id, safe_default, approval_required, effort_score, journey,
        playbook_id, touch_channel, segment, mode
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS decisions_by_topic
        ON decisions (customer_id, topic, created_us, direction, kind, interaction_id)
    """,
    """
    CREATE INDEX IF NOT EXISTS decisions_by_interaction
        ON decisions (customer_id, interaction_id, direction, kind, created_us, decision_id)
        WHERE interaction_id IS NOT NULL
    """,
    # Guard verdicts other than allow, one row each, for the denial KPIs and log filters.
    """
    CREATE TABLE IF NOT EXISTS decision_verdicts (
        decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
        created_us  INTEGER NOT NULL,
        proposal_id TEXT NOT NULL,
        action_type TEXT NOT NULL,
        policy_id   TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        reason_code TEXT NOT NULL,
        PRIMARY KEY (decision_id, proposal_id, policy_id)
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS verdicts_by_time
        ON decision_verdicts (created_us, outcome, decision_id, policy_id, reason_code)
    """,
    """
    INSERT INTO decision_verdicts
    SELECT d.decision_id, d.created_us,
           json_extract(p.value, '$.proposal_id'), json_extract(p.value, '$.call.type'),
           json_extract(v.value, '$.policy_id'), json_extract(v.value, '$.outcome'),
           json_extract(v.value, '$.reason_code')
    FROM decisions d, json_each(d.record, '$.proposals') p,
         json_each(p.value, '$.evaluation.verdicts') v
    WHERE json_extract(v.value, '$.outcome') != 'allow'
    """,
    *_append_only("decision_verdicts"),
    # Outcomes: what happened after a decision, one append-only row per report.
    """
    CREATE TABLE IF NOT EXISTS outcomes (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        decision_id    TEXT NOT NULL REFERENCES decisions (decision_id),
        outcome_id     TEXT NOT NULL,
        customer_id    TEXT NOT NULL,
        decision_us    INTEGER NOT NULL,
        type           TEXT NOT NULL,
        ts_us          INTEGER NOT NULL,
        recorded_us    INTEGER NOT NULL,
        value_amount   TEXT,
        value_currency TEXT,
        body           TEXT NOT NULL,
        UNIQUE (decision_id, outcome_id)
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS outcomes_by_decision_time
        ON outcomes (decision_us, decision_id, type)
    """,
    *_append_only("outcomes"),
    # Events that name the decision they carried out (properties.decision_id), and events by
    # type for contact accounting and the transfer KPIs.
    "ALTER TABLE events ADD COLUMN decision_id TEXT",
    """
    UPDATE events SET decision_id = json_extract(body, '$.properties.decision_id')
    WHERE json_type(body, '$.properties.decision_id') = 'text'
    """,
    """
    CREATE INDEX IF NOT EXISTS events_by_decision
        ON events (decision_id, customer_id, type, ts_us) WHERE decision_id IS NOT NULL
    """,
    "CREATE INDEX IF NOT EXISTS events_by_type ON events (customer_id, type, ts_us)",
    # Erasure receipts: what was removed, for whom (a token), when and by whom.
    """
    CREATE TABLE IF NOT EXISTS erasures (
        receipt_id     TEXT PRIMARY KEY,
        customer_token TEXT NOT NULL,
        erased_us      INTEGER NOT NULL,
        body           TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS erasures_by_token ON erasures (customer_token, erased_us)",
    *_append_only("erasures"),
    # The hash chain over every append-only row, and the signed checkpoints of its head.
    """
    CREATE TABLE IF NOT EXISTS chain (
        seq          INTEGER PRIMARY KEY,
        kind         TEXT NOT NULL,
        ref          TEXT NOT NULL,
        ts_us        INTEGER NOT NULL,
        payload_hash TEXT NOT NULL,
        prev         TEXT NOT NULL,
        hash         TEXT NOT NULL,
        UNIQUE (kind, ref)
    )
    """,
    *_append_only("chain"),
    """
    CREATE TABLE IF NOT EXISTS checkpoints (
        size       INTEGER PRIMARY KEY,
        root       TEXT NOT NULL,
        note       TEXT NOT NULL,
        created_us INTEGER NOT NULL
    )
    """,
    *_append_only("checkpoints"),
    # An INSERT OR REPLACE deletes the old row without firing delete triggers: refuse it.
    *(_no_replace(table, key) for table, key in _KEYS.items()),
    backfill,
    # Each customer's record key, wrapped by the service's key; erasure deletes the row.
    """
    CREATE TABLE IF NOT EXISTS customer_keys (
        customer_id TEXT PRIMARY KEY,
        wrapped     BLOB NOT NULL,
        created_us  INTEGER NOT NULL
    )
    """,
)

_V3_KEYS = {
    "reviews": "review_id = NEW.review_id",
    "approvals": "approval_id = NEW.approval_id AND step = NEW.step",
}

_V3: tuple[Step, ...] = (
    # Governance: a reviewer's verdict on a decision, chained, its body sealed per customer.
    """
    CREATE TABLE IF NOT EXISTS reviews (
        review_id   TEXT PRIMARY KEY,
        decision_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        verdict     TEXT NOT NULL,
        reviewer    TEXT NOT NULL,
        tags        TEXT NOT NULL,
        created_us  INTEGER NOT NULL,
        body        TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS reviews_by_time ON reviews (created_us, review_id)",
    "CREATE INDEX IF NOT EXISTS reviews_by_decision ON reviews (decision_id, created_us)",
    *_append_only("reviews"),
    # An approval's steps: 0 requested, 1 the verdict (approved, rejected, expired, cancelled),
    # 2 released (the action that went out instead of waiting). One row each, chained.
    """
    CREATE TABLE IF NOT EXISTS approvals (
        approval_id          TEXT NOT NULL,
        step                 INTEGER NOT NULL CHECK (step IN (0, 1, 2)),
        kind                 TEXT NOT NULL,
        decision_id          TEXT NOT NULL,
        customer_id          TEXT NOT NULL,
        ts_us                INTEGER NOT NULL,
        expires_us           INTEGER,
        actor                TEXT,
        released_decision_id TEXT,
        body                 TEXT NOT NULL,
        PRIMARY KEY (approval_id, step)
    )
    """,
    "CREATE INDEX IF NOT EXISTS approvals_by_step ON approvals (step, ts_us, approval_id)",
    "CREATE INDEX IF NOT EXISTS approvals_by_decision ON approvals (decision_id)",
    "CREATE INDEX IF NOT EXISTS approvals_by_customer ON approvals (customer_id, step)",
    *_append_only("approvals"),
    *(_no_replace(table, key) for table, key in _V3_KEYS.items()),
    # Operational, not part of the record: webhook deliveries of releases (an outbox), and
    # files written from a customer's data (eval scenarios from reviews) for erasure to sweep.
    """
    CREATE TABLE IF NOT EXISTS approval_deliveries (
        approval_id  TEXT PRIMARY KEY,
        created_us   INTEGER NOT NULL,
        delivered_us INTEGER,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS derived_files (
        path        TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        source      TEXT NOT NULL,
        created_us  INTEGER NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS derived_files_by_customer ON derived_files (customer_id)",
)

_V4: tuple[Step, ...] = (
    # One open case per type: the case type an open_case decision opens, so that accounting
    # counts it as open. Rows written before stay null: their record may be sealed, so SQL
    # cannot read it, and a case system reports older cases as case_opened events.
    "ALTER TABLE decisions ADD COLUMN case_type TEXT",
)

MIGRATIONS: tuple[tuple[Step, ...], ...] = (_V1, _V2, _V3, _V4)
"""Migration i (0-based) brings the file to version i + 1; append, never edit."""

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to SCHEMA_VERSION (idempotent, safe when two processes open it at once)."""
    conn.execute("BEGIN IMMEDIATE")  # serialize concurrent openers before reading the version
    try:
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if current > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {current} is newer than this code ({SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for step in MIGRATIONS[version - 1]:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
            conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return SCHEMA_VERSION

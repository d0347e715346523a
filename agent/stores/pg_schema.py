"""The PostgreSQL schema of nextbest, as ordered migrations tracked in ``nextbest_schema``.

The same tables and columns as the SQLite schema (:mod:`agent.stores.schema`), in
PostgreSQL's types: text compares byte by byte (``COLLATE "C"``, as SQLite's does, so that
cursors and orderings agree across backends), micros are ``BIGINT``, bytes ``BYTEA``.

Append-only tables are enforced by the database itself: a trigger refuses every UPDATE,
DELETE and TRUNCATE (triggers bind the tables' owner and superusers too), and UPDATE, DELETE
and TRUNCATE are revoked from PUBLIC and from the role that creates them.

Migration N brings the schema from version N-1 to N, in one transaction under an advisory
lock, so that workers starting together migrate once; a schema written by newer code is
refused rather than misread.
"""

from __future__ import annotations

from typing import Any

import psycopg

from agent.stores.schema import SchemaTooNewError

__all__ = ["APPEND_ONLY", "PG_MIGRATIONS", "PG_SCHEMA_VERSION", "migrate_postgres"]

_MIGRATE_LOCK = 0x6E657874_6D696772
"""The advisory lock key of migrations ("nextmigr")."""

T = 'TEXT COLLATE "C"'

APPEND_ONLY = (
    "decisions",
    "decision_verdicts",
    "outcomes",
    "erasures",
    "chain",
    "checkpoints",
    "reviews",
    "approvals",
)
"""Tables whose rows are never changed or removed."""


def _append_only(table: str) -> tuple[str, ...]:
    return (
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION nextbest_append_only()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION nextbest_append_only()""",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC, CURRENT_USER",
    )


_V1: tuple[str, ...] = (
    """
    CREATE FUNCTION nextbest_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% are append-only: % is not allowed', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    f"""
    CREATE TABLE profiles (
        customer_id {T} PRIMARY KEY,
        body        {T} NOT NULL,
        created_at  {T} NOT NULL,
        updated_at  {T} NOT NULL
    )
    """,
    f"""
    CREATE TABLE events (
        customer_id {T} NOT NULL REFERENCES profiles (customer_id),
        event_id    {T} NOT NULL,
        ts_us       BIGINT NOT NULL,
        type        {T} NOT NULL,
        body        {T} NOT NULL,
        decision_id {T},
        PRIMARY KEY (customer_id, event_id)
    )
    """,
    "CREATE INDEX events_by_time ON events (customer_id, ts_us, event_id)",
    """
    CREATE INDEX events_by_decision ON events (decision_id, customer_id, type, ts_us)
        WHERE decision_id IS NOT NULL
    """,
    "CREATE INDEX events_by_type ON events (customer_id, type, ts_us)",
    f"""
    CREATE TABLE decisions (
        decision_id        {T} PRIMARY KEY,
        customer_id        {T} NOT NULL,
        created_at         {T} NOT NULL,
        created_us         BIGINT NOT NULL,
        kind               {T} NOT NULL,
        action_type        {T} NOT NULL,
        mode               {T} NOT NULL,
        idempotency_key    {T},
        outcome            {T} NOT NULL,
        approval_required  INTEGER NOT NULL,
        contacts_customer  INTEGER NOT NULL,
        channel            {T},
        purpose            {T} NOT NULL,
        effective_us       BIGINT NOT NULL,
        incentive_kind     {T},
        incentive_value    {T},
        incentive_currency {T},
        record             {T} NOT NULL,
        direction          {T} NOT NULL DEFAULT 'outbound',
        interaction_id     {T},
        journey            {T},
        intent             {T},
        topic              {T},
        touch_channel      {T},
        segment            {T},
        playbook_id        {T},
        effort_score       DOUBLE PRECISION NOT NULL DEFAULT 0,
        safe_default       INTEGER NOT NULL DEFAULT 0,
        profile_source     {T} NOT NULL DEFAULT 'store'
    )
    """,
    """
    CREATE UNIQUE INDEX decisions_idempotency
        ON decisions (customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL
    """,
    "CREATE INDEX decisions_by_time ON decisions (created_us, decision_id)",
    "CREATE INDEX decisions_by_customer ON decisions (customer_id, created_us, decision_id)",
    "CREATE INDEX decisions_by_customer_effective ON decisions (customer_id, effective_us)",
    """
    CREATE INDEX decisions_kpi ON decisions (created_us, decision_id) INCLUDE (
        customer_id, kind, effective_us, action_type, direction, topic, interaction_id,
        safe_default, approval_required, effort_score, journey, playbook_id, touch_channel,
        segment, mode
    )
    """,
    """
    CREATE INDEX decisions_by_topic
        ON decisions (customer_id, topic, created_us, direction, kind, interaction_id)
    """,
    """
    CREATE INDEX decisions_by_interaction
        ON decisions (customer_id, interaction_id, direction, kind, created_us, decision_id)
        WHERE interaction_id IS NOT NULL
    """,
    f"""
    CREATE TABLE decision_verdicts (
        decision_id {T} NOT NULL REFERENCES decisions (decision_id),
        created_us  BIGINT NOT NULL,
        proposal_id {T} NOT NULL,
        action_type {T} NOT NULL,
        policy_id   {T} NOT NULL,
        outcome     {T} NOT NULL,
        reason_code {T} NOT NULL,
        PRIMARY KEY (decision_id, proposal_id, policy_id)
    )
    """,
    """
    CREATE INDEX verdicts_by_time
        ON decision_verdicts (created_us, outcome, decision_id, policy_id, reason_code)
    """,
    f"""
    CREATE TABLE outcomes (
        seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        decision_id    {T} NOT NULL REFERENCES decisions (decision_id),
        outcome_id     {T} NOT NULL,
        customer_id    {T} NOT NULL,
        decision_us    BIGINT NOT NULL,
        type           {T} NOT NULL,
        ts_us          BIGINT NOT NULL,
        recorded_us    BIGINT NOT NULL,
        value_amount   {T},
        value_currency {T},
        body           {T} NOT NULL,
        UNIQUE (decision_id, outcome_id)
    )
    """,
    "CREATE INDEX outcomes_by_decision_time ON outcomes (decision_us, decision_id, type)",
    f"""
    CREATE TABLE erasures (
        receipt_id     {T} PRIMARY KEY,
        customer_token {T} NOT NULL,
        erased_us      BIGINT NOT NULL,
        body           {T} NOT NULL
    )
    """,
    "CREATE INDEX erasures_by_token ON erasures (customer_token, erased_us)",
    f"""
    CREATE TABLE chain (
        seq          BIGINT PRIMARY KEY,
        kind         {T} NOT NULL,
        ref          {T} NOT NULL,
        ts_us        BIGINT NOT NULL,
        payload_hash {T} NOT NULL,
        prev         {T} NOT NULL,
        hash         {T} NOT NULL,
        UNIQUE (kind, ref)
    )
    """,
    "CREATE INDEX chain_by_time ON chain (ts_us)",
    f"""
    CREATE TABLE checkpoints (
        size       BIGINT PRIMARY KEY,
        root       {T} NOT NULL,
        note       {T} NOT NULL,
        created_us BIGINT NOT NULL
    )
    """,
    f"""
    CREATE TABLE customer_keys (
        customer_id {T} PRIMARY KEY,
        wrapped     BYTEA NOT NULL,
        created_us  BIGINT NOT NULL
    )
    """,
    f"""
    CREATE TABLE reviews (
        review_id   {T} PRIMARY KEY,
        decision_id {T} NOT NULL,
        customer_id {T} NOT NULL,
        verdict     {T} NOT NULL,
        reviewer    {T} NOT NULL,
        tags        {T} NOT NULL,
        created_us  BIGINT NOT NULL,
        body        {T} NOT NULL
    )
    """,
    "CREATE INDEX reviews_by_time ON reviews (created_us, review_id)",
    "CREATE INDEX reviews_by_decision ON reviews (decision_id, created_us)",
    f"""
    CREATE TABLE approvals (
        approval_id          {T} NOT NULL,
        step                 INTEGER NOT NULL CHECK (step IN (0, 1, 2)),
        kind                 {T} NOT NULL,
        decision_id          {T} NOT NULL,
        customer_id          {T} NOT NULL,
        ts_us                BIGINT NOT NULL,
        expires_us           BIGINT,
        actor                {T},
        released_decision_id {T},
        body                 {T} NOT NULL,
        PRIMARY KEY (approval_id, step)
    )
    """,
    "CREATE INDEX approvals_by_step ON approvals (step, ts_us, approval_id)",
    "CREATE INDEX approvals_by_decision ON approvals (decision_id)",
    "CREATE INDEX approvals_by_customer ON approvals (customer_id, step)",
    f"""
    CREATE TABLE approval_deliveries (
        approval_id  {T} PRIMARY KEY,
        created_us   BIGINT NOT NULL,
        delivered_us BIGINT,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   {T}
    )
    """,
    f"""
    CREATE TABLE derived_files (
        path        {T} PRIMARY KEY,
        customer_id {T} NOT NULL,
        source      {T} NOT NULL,
        created_us  BIGINT NOT NULL
    )
    """,
    "CREATE INDEX derived_files_by_customer ON derived_files (customer_id)",
    *(statement for table in APPEND_ONLY for statement in _append_only(table)),
)

_V2: tuple[str, ...] = (
    # One open case per type: the case type an open_case decision opens (SQLite's v4).
    f"ALTER TABLE decisions ADD COLUMN case_type {T}",
)

PG_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
"""Migration i (0-based) brings the schema to version i + 1; append, never edit."""

PG_SCHEMA_VERSION = len(PG_MIGRATIONS)


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The schema's version (0 before the first migration)."""
    exists = conn.execute("SELECT to_regclass('nextbest_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT version FROM nextbest_schema").fetchone()
    return 0 if row is None else int(row[0])


def migrate_postgres(conn: psycopg.Connection[Any]) -> int:
    """Bring the schema to PG_SCHEMA_VERSION (idempotent; concurrent openers take turns)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS nextbest_schema (version INTEGER NOT NULL)")
        current = schema_version(conn)
        if current > PG_SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {current} is newer than this code ({PG_SCHEMA_VERSION})"
            )
        for version in range(current + 1, PG_SCHEMA_VERSION + 1):
            for step in PG_MIGRATIONS[version - 1]:
                conn.execute(step.encode())  # bytes: sent as written, no placeholders
        if current < PG_SCHEMA_VERSION:
            conn.execute("DELETE FROM nextbest_schema")
            conn.execute("INSERT INTO nextbest_schema (version) VALUES (%s)", (PG_SCHEMA_VERSION,))
    return PG_SCHEMA_VERSION

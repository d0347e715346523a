"""What only the SQLite backend promises: the file, its pragmas, schema and append-only triggers."""

from __future__ import annotations

import sqlite3
import stat
import threading
from dataclasses import asdict, astuple, fields
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agent.audit.store import SqlAuditLog
from agent.outcomes import OutcomeIn
from agent.outcomes.store import SqlOutcomeStore
from agent.stores.customers import SqlCustomerStore
from agent.stores.decision_columns import DecisionColumns, columns_of
from agent.stores.decision_log import SqlDecisionLog
from agent.stores.schema import MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError
from agent.stores.sqlite import SqliteDatabase, StoreClosedError, from_micros, to_micros
from policies.verdict import Outcome
from tests.agent.stores.conftest import CIPHER
from tests.factories import NOW, profile

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_decisions_refuse_raw_update_and_delete(db_path: Path, make_record: MakeRecord) -> None:
    log = SqlDecisionLog(db_path)
    record = make_record()
    log.append(record)
    raw = _raw(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE"):
            raw.execute(
                "UPDATE decisions SET mode = 'llm' WHERE decision_id = ?", (record.decision_id,)
            )
        with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE"):
            raw.execute("DELETE FROM decisions")
    finally:
        raw.close()
    assert log.get(record.decision_id) == record
    log.close()


def test_open_sets_wal_pragmas_and_schema_version(db_path: Path) -> None:
    db = SqliteDatabase(db_path, busy_timeout_ms=1234)
    conn = db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_both_stores_share_one_file_and_reopen_idempotently(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    path = tmp_path / "nested" / "nextbest.db"
    customers = SqlCustomerStore(path)
    decisions = SqlDecisionLog(path)
    customers.put_profile(profile(customer_id="cus_1"))
    decisions.append(make_record())
    customers.close()
    decisions.close()

    again = SqlDecisionLog(path)  # schema already there: opening changes nothing
    assert again.get("dec_000001") is not None
    again.close()
    raw = _raw(path)
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    raw.close()
    assert {"profiles", "events", "decisions"} <= tables


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    raw = _raw(db_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SchemaTooNewError, match="newer than this code"):
        SqlCustomerStore(db_path)


def test_concurrent_opens_of_a_new_file(db_path: Path) -> None:
    errors: list[BaseException] = []
    opened: list[SqlDecisionLog] = []
    barrier = threading.Barrier(6)

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(SqlDecisionLog(db_path))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for log in opened:
        log.close()
    assert errors == []
    assert len(opened) == 6


def test_closed_store_refuses_work_on_every_thread(db_path: Path) -> None:
    store = SqlCustomerStore(db_path)
    store.put_profile(profile(customer_id="cus_1"))
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosedError):
        store.get_profile("cus_1")
    failures: list[BaseException] = []
    worker = threading.Thread(target=lambda: _capture(store, failures))
    worker.start()
    worker.join()
    assert len(failures) == 1
    assert isinstance(failures[0], StoreClosedError)


def _capture(store: SqlCustomerStore, failures: list[BaseException]) -> None:
    try:
        store.get_profile("cus_1")
    except BaseException as exc:  # collected and asserted by the caller
        failures.append(exc)


def test_micros_are_exact_and_refuse_naive_datetimes() -> None:
    assert from_micros(to_micros(NOW)) == NOW
    assert to_micros(NOW) - to_micros(NOW.replace(microsecond=1)) == -1
    with pytest.raises(ValueError, match="timezone-aware"):
        to_micros(NOW.replace(tzinfo=None))


def test_a_failed_write_leaves_nothing_behind(db_path: Path) -> None:
    db = SqliteDatabase(db_path)

    def insert_then_fail() -> None:
        with db.write() as conn:
            conn.execute(
                "INSERT INTO profiles (customer_id, body, created_at, updated_at)"
                " VALUES ('x', '{}', '', '')"
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        insert_then_fail()
    assert db.connection().execute("SELECT count(*) FROM profiles").fetchone()[0] == 0
    assert not db.connection().in_transaction
    db.close()


def test_outcomes_and_verdict_rows_refuse_raw_update_and_delete(
    db_path: Path, make_record: MakeRecord
) -> None:
    log = SqlDecisionLog(db_path)
    outcomes = SqlOutcomeStore(db_path)
    record = log.append(make_record(outcome=Outcome.MODIFY))
    outcomes.append([(record.decision_id, OutcomeIn(id="o1", type="executed"))], now=NOW)
    raw = _raw(db_path)
    try:
        for table in ("outcomes", "decision_verdicts"):
            assert raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 1
            with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE"):
                raw.execute(f"UPDATE {table} SET decision_id = 'dec_x'")
            with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE"):
                raw.execute(f"DELETE FROM {table}")
    finally:
        raw.close()
    log.close()
    outcomes.close()


def test_a_version_1_file_is_upgraded_and_its_rows_filled(
    db_path: Path, make_record: MakeRecord
) -> None:
    """A log written before outcomes existed gets the KPI columns and verdict rows from its
    records, its append-only triggers back, and its rows chained."""
    record = make_record(
        outcome=Outcome.DENY,
        context={"direction": "inbound", "channel": "chat"},
        intent="double_charge",
        journey="billing_dispute",
    )
    raw = _raw(db_path)
    raw.execute("BEGIN")
    for statement in MIGRATIONS[0]:
        raw.execute(statement)
    raw.execute("PRAGMA user_version = 1")
    columns = columns_of(record)
    raw.execute(
        "INSERT INTO decisions (decision_id, customer_id, created_at, created_us, kind,"
        " action_type, mode, idempotency_key, outcome, approval_required, contacts_customer,"
        " channel, purpose, effective_us, incentive_kind, incentive_value, incentive_currency,"
        " record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*astuple(columns)[:17], record.model_dump_json()),
    )
    raw.execute("COMMIT")
    raw.close()

    log = SqlDecisionLog(db_path)  # opening migrates
    raw = _raw(db_path)
    try:
        names = [f.name for f in fields(DecisionColumns)]
        row = raw.execute(f"SELECT {', '.join(names)} FROM decisions").fetchone()
        assert dict(zip(names, row, strict=True)) == {
            **asdict(columns),
            "approval_required": 0,
            "contacts_customer": 1,
            "safe_default": 0,
        }
        verdicts = raw.execute(
            "SELECT proposal_id, policy_id, outcome, reason_code FROM decision_verdicts"
        ).fetchall()
        assert verdicts == [("p1", "consent", "deny", "rule_matched")]
        with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE"):
            raw.execute("UPDATE decisions SET mode = 'llm'")
    finally:
        raw.close()
    assert log.get(record.decision_id) == record
    log.close()
    audit = SqlAuditLog(db_path)
    report = audit.verify()
    audit.close()
    assert report.ok, report.problems
    assert (report.entries, report.rows) == (1, 1)


def test_sealed_rows_hold_no_plaintext_and_files_are_private(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    data = tmp_path / "data"
    log = SqlDecisionLog(data / "nextbest.db", cipher=CIPHER)
    record = log.append(make_record(customer_id="cus_sealed"))
    raw = _raw(data / "nextbest.db")
    try:
        (body,) = raw.execute("SELECT record FROM decisions").fetchone()
        assert body.startswith("enc1:")
        assert "cus_sealed" not in body
        assert "Test Person" not in body
        (wrapped,) = raw.execute("SELECT wrapped FROM customer_keys").fetchone()
        assert len(wrapped) > 32
    finally:
        raw.close()
    assert log.get(record.decision_id) == record
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("nextbest.db", "nextbest.db-wal"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    log.close()

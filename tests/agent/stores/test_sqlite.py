"""What only the SQLite backend promises: the file, its pragmas, schema and append-only triggers."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agent.stores.customers import SqliteCustomerStore
from agent.stores.decision_log import SqliteDecisionLog
from agent.stores.schema import SCHEMA_VERSION, SchemaTooNewError
from agent.stores.sqlite import SqliteDatabase, StoreClosedError, from_micros, to_micros
from tests.factories import NOW, profile

if TYPE_CHECKING:
    from tests.agent.stores.conftest import MakeRecord


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_decisions_refuse_raw_update_and_delete(db_path: Path, make_record: MakeRecord) -> None:
    log = SqliteDecisionLog(db_path)
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
    customers = SqliteCustomerStore(path)
    decisions = SqliteDecisionLog(path)
    customers.put_profile(profile(customer_id="cus_1"))
    decisions.append(make_record())
    customers.close()
    decisions.close()

    again = SqliteDecisionLog(path)  # schema already there: opening changes nothing
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
        SqliteCustomerStore(db_path)


def test_concurrent_opens_of_a_new_file(db_path: Path) -> None:
    errors: list[BaseException] = []
    opened: list[SqliteDecisionLog] = []
    barrier = threading.Barrier(6)

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(SqliteDecisionLog(db_path))
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
    store = SqliteCustomerStore(db_path)
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


def _capture(store: SqliteCustomerStore, failures: list[BaseException]) -> None:
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

"""Store backends for the conformance tests (record and event builders: tests/agent/conftest.py).

Every test runs on each backend in ``_BACKENDS``: SQLite (a file in the test's tmp_path) and
PostgreSQL (a fresh schema in the session's throwaway database, see tests/postgres.py). Each
store opened is a new handle, as a second worker process would open one: on PostgreSQL, a
pool of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import psycopg
import pytest

from agent.approvals.store import ApprovalStore, SqlApprovalStore
from agent.kpis.store import KpiReader, SqlKpiReader
from agent.outcomes.store import OutcomeStore, SqlOutcomeStore
from agent.privacy import Keys, RecordCipher
from agent.stores.customers import CustomerStore, SqlCustomerStore
from agent.stores.database import DatabaseTarget
from agent.stores.decision_log import DecisionLog, SqlDecisionLog
from agent.stores.postgres import PostgresDatabase

CIPHER = RecordCipher(Keys.derive(b"conformance" * 3).wrap)
"""Records are sealed per customer, as the service stores them."""


class Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=Closable)


@dataclass
class Backend:
    """Opens stores on one backend's storage; each call is a new handle on the same data."""

    name: str
    handle: Callable[[], DatabaseTarget]
    """A new handle on the storage: the SQLite file's path, or a new PostgreSQL pool."""
    raw: Callable[[str, bool], None]
    """Runs SQL around the stores, as someone with access to the database would; with
    ``bypass``, past the append-only triggers (SQLite: dropped; PostgreSQL:
    ``session_replication_role = replica``, which a superuser may set)."""
    opened: list[Closable] = field(default_factory=list)

    def open(self, store: Callable[..., S], **options: Any) -> S:
        target = self.handle()
        if not isinstance(target, Path):
            self.opened.append(target)  # a pool of the store's own, closed after it
        opened = store(target, **options)
        self.opened.append(opened)
        return opened

    def customers(self) -> CustomerStore:
        return self.open(SqlCustomerStore)

    def decisions(self) -> DecisionLog:
        return self.open(SqlDecisionLog, cipher=CIPHER)

    def outcomes(self) -> OutcomeStore:
        return self.open(SqlOutcomeStore)

    def kpis(self) -> KpiReader:
        return self.open(SqlKpiReader)

    def approvals(self) -> ApprovalStore:
        return self.open(SqlApprovalStore, cipher=CIPHER)

    def close_all(self) -> None:
        for opened in reversed(self.opened):
            opened.close()


def _sqlite(request: pytest.FixtureRequest) -> Backend:
    path: Path = request.getfixturevalue("tmp_path") / "data" / "nextbest.db"

    def raw(statement: str, bypass: bool) -> None:
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("BEGIN")
            if bypass:
                triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                for (name,) in triggers.fetchall():
                    conn.execute(f"DROP TRIGGER {name}")
            conn.execute(statement)
            conn.execute("COMMIT")

    return Backend(name="sqlite", handle=lambda: path, raw=raw)


def _postgres(request: pytest.FixtureRequest) -> Backend:
    url: str = request.getfixturevalue("pg_url")

    def raw(statement: str, bypass: bool) -> None:
        with psycopg.connect(url) as conn:
            if bypass:
                conn.execute("SET session_replication_role = replica")
            conn.execute(statement.encode())

    return Backend(name="postgres", handle=lambda: PostgresDatabase(url, max_size=4), raw=raw)


_BACKENDS: dict[str, Callable[[pytest.FixtureRequest], Backend]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}


@pytest.fixture(params=sorted(_BACKENDS))
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    opened = _BACKENDS[request.param](request)
    yield opened
    opened.close_all()


@pytest.fixture
def customers(backend: Backend) -> CustomerStore:
    return backend.customers()


@pytest.fixture
def decisions(backend: Backend) -> DecisionLog:
    return backend.decisions()


@pytest.fixture
def outcomes(backend: Backend) -> OutcomeStore:
    return backend.outcomes()


@pytest.fixture
def kpis(backend: Backend) -> KpiReader:
    return backend.kpis()


@pytest.fixture
def approvals(backend: Backend) -> ApprovalStore:
    return backend.approvals()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file for the SQLite-specific tests."""
    return tmp_path / "nextbest.db"

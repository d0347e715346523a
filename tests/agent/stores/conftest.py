"""Store backends for the conformance tests (record and event builders: tests/agent/conftest.py).

To run the conformance suite against a new backend, add one entry to ``_BACKENDS``: a function
that, given a test's tmp_path, returns a :class:`Backend` opening stores on fresh storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agent.approvals.store import ApprovalStore, SqliteApprovalStore
from agent.kpis.store import KpiReader, SqliteKpiReader
from agent.outcomes.store import OutcomeStore, SqliteOutcomeStore
from agent.privacy import Keys, RecordCipher
from agent.stores.customers import CustomerStore, SqliteCustomerStore
from agent.stores.decision_log import DecisionLog, SqliteDecisionLog

CIPHER = RecordCipher(Keys.derive(b"conformance" * 3).wrap)
"""Records are sealed per customer, as the service stores them."""


@dataclass
class Backend:
    """Opens stores on one backend's storage; each call is a new handle on the same data."""

    name: str
    open_customers: Callable[[], CustomerStore]
    open_decisions: Callable[[], DecisionLog]
    open_outcomes: Callable[[], OutcomeStore]
    open_kpis: Callable[[], KpiReader]
    open_approvals: Callable[[], ApprovalStore]
    opened: list[CustomerStore | DecisionLog | OutcomeStore | KpiReader | ApprovalStore] = field(
        default_factory=list
    )

    def customers(self) -> CustomerStore:
        store = self.open_customers()
        self.opened.append(store)
        return store

    def decisions(self) -> DecisionLog:
        log = self.open_decisions()
        self.opened.append(log)
        return log

    def outcomes(self) -> OutcomeStore:
        store = self.open_outcomes()
        self.opened.append(store)
        return store

    def kpis(self) -> KpiReader:
        reader = self.open_kpis()
        self.opened.append(reader)
        return reader

    def approvals(self) -> ApprovalStore:
        store = self.open_approvals()
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


def _sqlite(tmp_path: Path) -> Backend:
    path = tmp_path / "data" / "nextbest.db"
    return Backend(
        name="sqlite",
        open_customers=lambda: SqliteCustomerStore(path),
        open_decisions=lambda: SqliteDecisionLog(path, cipher=CIPHER),
        open_outcomes=lambda: SqliteOutcomeStore(path),
        open_kpis=lambda: SqliteKpiReader(path),
        open_approvals=lambda: SqliteApprovalStore(path, cipher=CIPHER),
    )


_BACKENDS: dict[str, Callable[[Path], Backend]] = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(_BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    opened = _BACKENDS[request.param](tmp_path)
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

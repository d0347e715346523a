"""Stores behind small Protocols: customers (profiles, events) and the append-only decision log.

Each store is one SQL implementation over a :class:`~agent.stores.database.Database`: SQLite
(WAL, one connection per thread; the embedded default) or PostgreSQL (a psycopg 3 pool;
``NEXTBEST_DATABASE_URL``). Both pass the same conformance tests in ``tests/agent/stores``.
"""

from __future__ import annotations

from agent.stores.customers import CustomerNotFoundError, CustomerStore, SqlCustomerStore
from agent.stores.decision_log import (
    DecisionLog,
    DecisionQuery,
    DuplicateDecisionError,
    IdempotencyConflict,
    SqlDecisionLog,
)
from agent.stores.page import InvalidCursor, Page
from agent.stores.sqlite import StoreClosedError

__all__ = [
    "CustomerNotFoundError",
    "CustomerStore",
    "DecisionLog",
    "DecisionQuery",
    "DuplicateDecisionError",
    "IdempotencyConflict",
    "InvalidCursor",
    "Page",
    "SqlCustomerStore",
    "SqlDecisionLog",
    "StoreClosedError",
]

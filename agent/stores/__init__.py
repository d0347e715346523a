"""Stores behind small Protocols: customers (profiles, events) and the append-only decision log.

SQLite (WAL, one connection per thread) is the embedded backend; every backend must pass the
conformance tests in ``tests/agent/stores``.
"""

from __future__ import annotations

from agent.stores.customers import CustomerNotFoundError, CustomerStore, SqliteCustomerStore
from agent.stores.decision_log import (
    DecisionLog,
    DecisionQuery,
    DuplicateDecisionError,
    IdempotencyConflict,
    SqliteDecisionLog,
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
    "SqliteCustomerStore",
    "SqliteDecisionLog",
    "StoreClosedError",
]

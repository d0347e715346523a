"""The database the SQL stores share: SQLite (the embedded default) or PostgreSQL.

Every store is one class over a :class:`Database`, whatever the backend: the stores write
portable SQL with ``?`` (or ``:name``) placeholders, read through :meth:`Database.read` and
write through :meth:`Database.write`, one transaction that holds the database's write lock
(SQLite's ``BEGIN IMMEDIATE``; in PostgreSQL an advisory lock), so that the hash chain and the
stores' check-then-insert steps see one writer at a time on either backend. What differs is
kept in the two database classes and the two schemas; the conformance suite in
``tests/agent/stores`` runs the same tests on both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

import psycopg

from agent.config import is_postgres_url

__all__ = [
    "Connection",
    "Cursor",
    "Database",
    "DatabaseTarget",
    "Dialect",
    "IntegrityError",
    "attach",
    "open_database",
]

Dialect = Literal["sqlite", "postgres"]

IntegrityError = (sqlite3.IntegrityError, psycopg.IntegrityError)
"""A constraint refused the write (a duplicate key, a broken reference), on either backend."""

Params = Sequence[Any] | Mapping[str, Any]


class Cursor(Protocol):
    """What the stores use of a DB-API cursor."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the stores use of a connection: ``sqlite3.Connection`` is one as it is."""

    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor: ...

    def executemany(self, sql: str, seq_of_parameters: Sequence[Params], /) -> Cursor: ...


class Database(Protocol):
    """Thread-safe access to one database; its schema is brought up to date on open."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def location(self) -> str:
        """Where it is, for messages (a path, or a URL without its password)."""
        ...

    def connection(self) -> Connection:
        """A connection for reads, outside any transaction: each statement sees what was
        committed when it ran (SQLite: this thread's connection; PostgreSQL: each statement
        runs on a pooled connection and its rows are fetched at once)."""
        ...

    def write(self) -> AbstractContextManager[Connection]:
        """One write transaction, holding the write lock: committed when the block ends,
        rolled back if it raises."""
        ...

    def checkpoint(self) -> None:
        """Leave no copy of deleted rows in logs or dead space, as far as the backend can
        (called after an erasure)."""
        ...

    def close(self) -> None: ...


DatabaseTarget = Database | Path | str
"""What a store opens: a shared database; or one of its own, from the path of a SQLite file
or a PostgreSQL URL."""


def open_database(target: Path | str, *, pool_size: int = 10) -> Database:
    """A PostgreSQL URL opens a pooled PostgreSQL database, anything else a SQLite file."""
    if isinstance(target, str) and is_postgres_url(target):
        from agent.stores.postgres import PostgresDatabase

        return PostgresDatabase(target, max_size=pool_size)
    from agent.stores.sqlite import SqliteDatabase

    return SqliteDatabase(Path(target))


def attach(target: DatabaseTarget) -> tuple[Database, bool]:
    """The database a store works on, and whether the store owns it (and closes it): a path
    or a URL opens one of the store's own; a database passed in is shared, and its opener
    closes it."""
    if isinstance(target, Path | str):
        return open_database(target), True
    return target, False

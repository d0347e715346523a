"""A PostgreSQL database shared by the stores: a psycopg 3 connection pool, the stores' SQL
translated once per statement, writes serialized by an advisory lock.

The stores write ``?`` and ``:name`` placeholders (SQLite's); :func:`translate` turns them
into psycopg's ``%s`` and ``%(name)s``, escaping literal ``%``, and skipping string literals.
Every write transaction takes one transaction-level advisory lock first, so that writers
across all workers and hosts take turns as they do on SQLite: the hash chain needs one order,
and the stores' check-then-insert steps need no second writer between the check and the
insert. Reads take a pooled autocommit connection and give it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import psycopg
from psycopg.adapt import Buffer, Dumper, Loader
from psycopg_pool import ConnectionPool

from agent.stores.database import Cursor, Params
from agent.stores.pg_schema import migrate_postgres
from agent.stores.sqlite import StoreClosedError

__all__ = ["CONNECT", "WRITE_LOCK", "PgConnection", "PostgresDatabase", "redact_url", "translate"]

CONNECT: dict[str, Any] = {"autocommit": True, "client_encoding": "utf8"}
"""Options of every nextbest connection: autocommit (transactions are explicit), and text in
UTF-8 whatever the database's encoding (a SQL_ASCII database would hand text back as bytes)."""

WRITE_LOCK = 0x6E657874_62657374 & 0x7FFF_FFFF_FFFF_FFFF
"""The advisory lock key every write transaction holds ("nextbest")."""

_TOKENS = re.compile(r"('(?:[^']|'')*')|(\?)|(%)|(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite placeholders to psycopg's: ``?`` → ``%s``, ``:name`` → ``%(name)s``, ``%`` →
    ``%%``; string literals and ``::`` casts are left alone."""

    def swap(match: re.Match[str]) -> str:
        literal, question, percent, name = match.groups()
        if literal is not None:
            return literal.replace("%", "%%")
        if question is not None:
            return "%s"
        if percent is not None:
            return "%%"
        return f"%({name})s"

    return _TOKENS.sub(swap, sql)


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:@/]+):[^@/]*@", r"\1:***@", url)


class _NumberLoader(Loader):
    """``numeric`` (what SUM of a bigint returns) as int when whole, else float: the stores
    sum counts and micros, never money (amounts are stored as text)."""

    def load(self, data: Buffer) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class _BoolDumper(Dumper):
    """Python bools as 0 and 1: flags are INTEGER columns on both backends, as SQLite
    stores them."""

    oid = psycopg.postgres.types["int4"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("numeric", _NumberLoader)
    conn.adapters.register_dumper(bool, _BoolDumper)


class PgConnection:
    """A psycopg connection seen through the stores' :class:`Connection` shape."""

    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Params = (), /) -> Cursor:
        return self._conn.execute(translate(sql), _params(parameters))

    def executemany(self, sql: str, seq_of_parameters: Sequence[Params], /) -> Cursor:
        cursor = self._conn.cursor()
        cursor.executemany(translate(sql), [_params(p) for p in seq_of_parameters])
        return cursor


class _Rows:
    """A statement's rows, fetched before its connection went back to the pool."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = iter(rows)
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return next(self._rows, None)

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return self._rows


class _PooledReads:
    """The read connection of :class:`PostgresDatabase`: each statement borrows a pooled
    autocommit connection, fetches its rows and gives the connection back."""

    __slots__ = ("_db",)

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    def execute(self, sql: str, parameters: Params = (), /) -> Cursor:
        with self._db.borrow() as conn:
            cursor = conn.execute(translate(sql), _params(parameters))
            rows = cursor.fetchall() if cursor.description is not None else []
            return _Rows(rows, cursor.rowcount)

    def executemany(self, sql: str, seq_of_parameters: Sequence[Params], /) -> Cursor:
        with self._db.borrow() as conn:
            return PgConnection(conn).executemany(sql, seq_of_parameters)


def _params(parameters: Params) -> Sequence[Any] | Mapping[str, Any]:
    return parameters if isinstance(parameters, Mapping) else tuple(parameters)


class PostgresDatabase:
    """Pooled access to one PostgreSQL database; the schema is created or upgraded on open."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self._url = url
        self._closed = False
        self._reads = _PooledReads(self)
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max(max_size, min_size),
            kwargs=CONNECT,
            configure=_configure,
            name="nextbest",
            open=False,
        )
        # a direct connection first: an unreachable server fails at once, and by name
        with psycopg.connect(url, **CONNECT, connect_timeout=10) as conn:
            migrate_postgres(conn)
        self._pool.open(wait=True, timeout=30)

    @property
    def dialect(self) -> Literal["postgres"]:
        return "postgres"

    @property
    def location(self) -> str:
        return redact_url(self._url)

    @property
    def url(self) -> str:
        return self._url

    def connection(self) -> _PooledReads:
        return self._reads

    @contextmanager
    def write(self) -> Iterator[PgConnection]:
        with self.borrow() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield PgConnection(conn)

    def checkpoint(self) -> None:
        """Reclaim the dead rows an erasure left (a deleted key or profile stays on disk as a
        dead tuple until vacuumed)."""
        with self.borrow() as conn:
            conn.execute("VACUUM customer_keys, profiles, events")

    def close(self) -> None:
        self._closed = True
        self._pool.close()

    @contextmanager
    def borrow(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled autocommit connection, given back when the block ends."""
        if self._closed:
            raise StoreClosedError(f"the store on {self.location!r} is closed")
        with self._pool.connection() as conn:
            yield conn

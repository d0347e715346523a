"""A PostgreSQL server for the tests: a throwaway database for the session, a fresh schema
per test.

``NEXTBEST_TEST_DATABASE_URL`` names a database the tests may fill (``.ci/run`` creates one
and drops it after). Without it, the session creates its own database on
``postgresql://postgres@127.0.0.1:5432/test``'s server and drops it at the end. When no server
answers, the PostgreSQL tests fail under ``NEXTBEST_REQUIRE_POSTGRES=1`` (as CI sets it) and
are skipped otherwise, with the reason.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from psycopg import sql

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def _unavailable(why: str) -> None:
    if os.environ.get("NEXTBEST_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (NEXTBEST_REQUIRE_POSTGRES=1): {why}")
    pytest.skip(f"no PostgreSQL server: {why}")


def with_options(url: str, options: str) -> str:
    """The URL with libpq ``options`` added (``-c search_path=...``)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(options)}"


def _replace_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def create_database(server: str, name: str) -> str:
    """A new database on ``server``'s PostgreSQL; its URL."""
    with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _replace_database(server, name)


def drop_database(server: str, name: str) -> None:
    """Drop it, with whatever is still connected to it."""
    with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """The URL of a database for this session's tests."""
    given = os.environ.get("NEXTBEST_TEST_DATABASE_URL")
    if given:
        try:
            psycopg.connect(given, connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            _unavailable(str(exc).strip())
        yield given
        return
    name = f"nextbest_test_{uuid.uuid4().hex[:12]}"
    try:
        url = create_database(DEFAULT_SERVER, name)
    except psycopg.OperationalError as exc:
        _unavailable(str(exc).strip())
    try:
        yield url
    finally:
        drop_database(DEFAULT_SERVER, name)


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema (dropped after the test)."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_options(pg_database, f"-c search_path={schema}")
    finally:
        with psycopg.connect(pg_database, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _main(argv: list[str]) -> None:
    """``python -m tests.postgres create|drop NAME``: a throwaway database on the default
    server (or ``NEXTBEST_TEST_SERVER_URL``'s); ``create`` prints its URL."""
    command, name = argv
    server = os.environ.get("NEXTBEST_TEST_SERVER_URL", DEFAULT_SERVER)
    if command == "create":
        print(create_database(server, name))
    else:
        drop_database(server, name)


if __name__ == "__main__":
    _main(sys.argv[1:])

"""What is PostgreSQL's own: the placeholder translation, the schema's version and its
refusal of newer schemas, migrations racing, and the URL kept out of messages."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from agent.stores.customers import SqlCustomerStore
from agent.stores.pg_schema import PG_SCHEMA_VERSION, schema_version
from agent.stores.postgres import PostgresDatabase, redact_url, translate
from agent.stores.schema import SchemaTooNewError
from tests.factories import profile


def test_placeholders_become_psycopg_ones_outside_string_literals() -> None:
    assert translate("SELECT x FROM t WHERE a = ? AND b = :now AND c::text LIKE 'a%?:x'") == (
        "SELECT x FROM t WHERE a = %s AND b = %(now)s AND c::text LIKE 'a%%?:x'"
    )
    assert translate("SELECT 100 % 7, 'it''s ?'") == "SELECT 100 %% 7, 'it''s ?'"


def test_the_password_stays_out_of_the_location() -> None:
    assert redact_url("postgresql://app:s3cr3t@db:5432/nb") == "postgresql://app:***@db:5432/nb"
    assert redact_url("postgresql://app@db/nb") == "postgresql://app@db/nb"


def test_workers_starting_together_migrate_once(pg_url: str) -> None:
    with ThreadPoolExecutor(6) as pool:
        databases = list(pool.map(lambda _: PostgresDatabase(pg_url, max_size=1), range(6)))
    for database in databases:
        database.close()
    with psycopg.connect(pg_url) as conn:
        assert schema_version(conn) == PG_SCHEMA_VERSION
        assert conn.execute("SELECT COUNT(*) FROM nextbest_schema").fetchone() == (1,)


def test_a_schema_written_by_newer_code_is_refused(pg_url: str) -> None:
    PostgresDatabase(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE nextbest_schema SET version = %s", (PG_SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaTooNewError, match="newer than this code"):
        PostgresDatabase(pg_url)


def test_reads_and_writes_see_each_other_across_pools(pg_url: str) -> None:
    first, second = PostgresDatabase(pg_url), PostgresDatabase(pg_url)
    try:
        with first.write() as conn:
            conn.execute("INSERT INTO profiles VALUES (?, ?, ?, ?)", ("cus_1", "{}", "now", "now"))
        rows = second.connection().execute("SELECT customer_id FROM profiles").fetchall()
        assert rows == [("cus_1",)]

        def fail_mid_way() -> None:
            with second.write() as conn:
                conn.execute("INSERT INTO profiles VALUES (?, ?, ?, ?)", ("cus_2", "{}", "", ""))
                raise RuntimeError("the caller failed mid-way")

        with pytest.raises(RuntimeError):
            fail_mid_way()  # a failed write leaves nothing
        (count,) = first.connection().execute("SELECT COUNT(*) FROM profiles").fetchone()
        assert count == 1
    finally:
        first.close()
        second.close()


def test_text_comes_back_as_text_from_a_sql_ascii_database(pg_database: str) -> None:
    """A database created without an encoding (SQL_ASCII) hands text back as bytes unless the
    client asks for UTF-8: every nextbest connection does."""
    name = f"nextbest_ascii_{uuid.uuid4().hex[:8]}"
    server = psycopg.connect(pg_database, autocommit=True)
    server.execute(
        sql.SQL(
            "CREATE DATABASE {} ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
        ).format(sql.Identifier(name))
    )
    try:
        url = urlsplit(pg_database)._replace(path=f"/{name}").geturl()
        store = SqlCustomerStore(url)
        try:
            store.put_profile(profile(customer_id="cus_zm", name="Zoë Müller"))
            found = store.get_profile("cus_zm")
            assert found is not None
            assert found.name == "Zoë Müller"
        finally:
            store.close()
    finally:
        server.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        server.close()

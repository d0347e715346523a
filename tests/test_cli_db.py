"""``nextbest db upgrade``: migrates the SQLite file or the PostgreSQL database the settings
name, idempotently; an unreachable or invalid database is exit 1 or 2 with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.stores.pg_schema import PG_SCHEMA_VERSION
from agent.stores.schema import SCHEMA_VERSION
from api.cli import app


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_upgrade_creates_the_sqlite_schema(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "sqlite" in result.output
    assert f"schema version {SCHEMA_VERSION}" in result.output
    assert (tmp_path / "data" / "nextbest.db").is_file()


def test_upgrade_migrates_postgres_once(
    runner: CliRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATABASE_URL", pg_url)
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "postgres" in result.output
        assert f"schema version {PG_SCHEMA_VERSION}, up to date" in result.output


def test_an_unreachable_database_is_exit_1_without_the_password(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATABASE_URL", "postgresql://app:s3cr3t@127.0.0.1:1/nextbest")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "db upgrade failed" in result.output
    assert "s3cr3t" not in result.output


def test_a_url_that_is_not_postgres_is_exit_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATABASE_URL", "mysql://app@db/nextbest")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "database_url: Value error, must be a postgresql:// URL" in result.output

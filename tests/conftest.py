"""Fixtures shared across the suite: the real embedding model, once per session; a
PostgreSQL database per session and a fresh schema per test (tests/postgres.py)."""

from __future__ import annotations

import pytest

from agent.embeddings import MiniLMEmbedder
from tests.postgres import pg_database, pg_url

__all__ = ["embedder", "pg_database", "pg_url"]


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()

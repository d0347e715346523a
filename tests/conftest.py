"""Fixtures shared across the suite: the real embedding model, once per session; a
PostgreSQL database per session and a fresh schema per test (tests/postgres.py)."""

from __future__ import annotations

import pytest

from agent.embeddings import Embedder, MiniLMEmbedder, local_embedder
from tests.postgres import pg_database, pg_url

__all__ = ["embedder", "minilm", "pg_database", "pg_url"]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The service's default model (multilingual)."""
    return local_embedder()


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The packaged English model, still selectable (NEXTBEST_EMBEDDING=minilm)."""
    return MiniLMEmbedder()

"""Fixtures shared across the suite: the real embedding model, once per session."""

from __future__ import annotations

import pytest

from agent.embeddings import MiniLMEmbedder


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()

"""One real app per test module: real SQLite, embedded Chroma and embedding model, demo data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.demo import demo_now, seed
from agent.service import Decider
from api.app import create_app
from api.settings import Settings


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nextbest")


@pytest.fixture(scope="module")
def decider(data_dir: Path) -> Iterator[Decider]:
    settings = Settings(data_dir=data_dir)
    now = demo_now()
    built = Decider.build(settings.to_agent_config(), clock=lambda: now)
    asyncio.run(seed(built, now))
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(decider: Decider, data_dir: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=data_dir), decider=decider)
    with TestClient(app) as test_client:
        yield test_client

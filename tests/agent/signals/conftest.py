"""Signal test fixtures: one real embedder and deriver per session, a pinned clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from agent.embeddings import Embedder
from agent.events import Event
from agent.profile import Profile
from agent.signals.derive import SignalDeriver
from agent.signals.intent import IntentCatalogue, IntentMatcher, load_catalogue
from agent.signals.sentiment import SentimentScorer

EventFactory = Callable[..., Event]

NOW = datetime(2025, 3, 14, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def catalogue() -> IntentCatalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def deriver(embedder: Embedder, catalogue: IntentCatalogue) -> SignalDeriver:
    return SignalDeriver(embedder, catalogue)


@pytest.fixture(scope="session")
def matcher(deriver: SignalDeriver) -> IntentMatcher:
    return deriver.intents


@pytest.fixture(scope="session")
def scorer(deriver: SignalDeriver) -> SentimentScorer:
    return deriver.sentiment


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def profile() -> Profile:
    return Profile(customer_id="cus_123", name="Ana Silva")


@pytest.fixture
def event() -> EventFactory:
    """Build an event ``ago`` before NOW with a deterministic id: event(type, ago, **props)."""
    ids = count(1)

    def make(
        type_: str,
        ago: timedelta,
        *,
        text: str | None = None,
        channel: str = "web",
        id_: str | None = None,
        **properties: str | int | float | bool | None,
    ) -> Event:
        return Event(
            id=id_ or f"evt_{next(ids):03d}_{type_}",
            ts=NOW - ago,
            channel=channel,
            type=type_,
            properties=properties,
            text=text,
        )

    return make

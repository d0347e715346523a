"""The retrieval query: composed from the vectors the signals embedded, names weighed apart."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from agent.context import RequestContext
from agent.events import Event
from agent.graph.retrieval import EMPTY_QUERY, QueryPart, query_parts, query_vector
from agent.profile import Profile
from agent.signals import IntentSignal, JourneySignal, Reading, SignalDeriver

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class HashEmbedder:
    """A unit vector per text, from its hash: no model, and every text embedded is recorded."""

    model_id = "hash"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
            row = np.random.default_rng(seed).normal(size=8)
            rows.append((row / np.linalg.norm(row)).tolist())
        return rows


@pytest.fixture(scope="module")
def deriver() -> SignalDeriver:
    return SignalDeriver(HashEmbedder())


def _said(minutes_ago: int, text: str, id_: str) -> Event:
    return Event(
        id=id_, ts=NOW - timedelta(minutes=minutes_ago), channel="chat", type="chat_message",
        text=text,
    )  # fmt: skip


def _reading(
    deriver: SignalDeriver,
    context: RequestContext,
    events: Sequence[Event] = (),
    *,
    intent: str | None = None,
    journey: str | None = None,
) -> Reading:
    """A real reading, with the intent and the journey set as the case needs."""
    reading = deriver.read(Profile(customer_id="cus_1"), events, context, NOW)
    signals = reading.signals.model_copy(
        update={
            "intent": IntentSignal(name=intent, journey=journey, score=0.7 if intent else 0.0),
            "journey": JourneySignal(journey=journey, stage="attempting"),
        }
    )
    return Reading(signals=signals, cues=reading.cues, vectors=reading.vectors)


def test_the_words_keep_their_vectors_and_the_names_are_weighed_apart(
    deriver: SignalDeriver,
) -> None:
    context = RequestContext(direction="inbound", reason="charged twice")
    events = [
        _said(300, "oldest", "e1"),
        _said(200, "older", "e2"),
        _said(100, "newest", "e3"),
    ]
    reading = _reading(
        deriver, context, events, intent="unexpected_charge", journey="billing_dispute"
    )

    parts = query_parts(context, reading)

    assert [(p.text, p.weight) for p in parts] == [
        ("charged twice", 1.0),
        ("newest", 0.6),
        ("older", 0.6),
        ("unexpected charge", 0.5),
        ("billing dispute", 0.5),
    ]
    assert all(p.vector is not None for p in parts[:3])
    assert all(p.vector is None for p in parts[3:])


def test_a_stated_journey_weighs_as_much_as_the_reason(deriver: SignalDeriver) -> None:
    context = RequestContext(direction="inbound", reason="hi, quick question", journey="renewal")

    parts = query_parts(context, _reading(deriver, context, journey="renewal"))

    assert [(p.text, p.weight) for p in parts] == [
        ("hi, quick question", 1.0),
        ("renewal", 1.0),
    ]


def test_no_words_no_intent_no_journey_searches_a_general_check_in(
    deriver: SignalDeriver,
) -> None:
    context = RequestContext()

    assert query_parts(context, _reading(deriver, context)) == [QueryPart(EMPTY_QUERY, 1.0)]


def test_only_the_parts_without_a_vector_are_embedded() -> None:
    embedder = HashEmbedder()
    known = np.array(embedder.embed(["charged twice"])[0], dtype=np.float32)
    embedder.texts.clear()
    parts = [QueryPart("charged twice", 1.0, known), QueryPart("billing dispute", 0.5)]

    vector = np.array(query_vector(parts, embedder))

    assert embedder.texts == ["billing dispute"]
    expected = known + 0.5 * np.array(HashEmbedder().embed(["billing dispute"])[0])
    assert vector == pytest.approx(expected / np.linalg.norm(expected), abs=1e-6)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0)

"""Embedders: the packaged models (multilingual USE, the default; English MiniLM), and an
OpenAI-compatible endpoint over mocked HTTP."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import openai
import pytest
import respx

from agent.embeddings import (
    BatchingEmbedder,
    CachingEmbedder,
    Embedder,
    MiniLMEmbedder,
    OpenAIEmbedder,
    local_embedder,
)

BASE = "http://embeddings.test/v1"


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def test_minilm_vectors_are_unit_length_and_meaningful(minilm: MiniLMEmbedder) -> None:
    embedder: Embedder = minilm
    charged, refund, weather = embedder.embed(
        ["I was charged twice", "please refund the double payment", "sunny weather tomorrow"]
    )
    assert len(charged) == 384
    assert _norm(charged) == pytest.approx(1.0, abs=1e-4)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(charged, refund) > cosine(charged, weather)
    assert embedder.embed([]) == []


def test_the_default_model_is_multilingual_and_unit_length(embedder: Embedder) -> None:
    assert embedder.model_id == "use-multilingual-v3"
    english, german, japanese, weather = (
        np.array(v)
        for v in embedder.embed(
            [
                "I was charged twice for my subscription",
                "mir wurde das Abo zweimal abgebucht",
                "サブスクの料金が二重に請求されました",
                "sunny weather tomorrow",
            ]
        )
    )
    assert len(english) == 512
    assert float(np.linalg.norm(german)) == pytest.approx(1.0, abs=1e-4)
    # Another language lands next to the same meaning in English, not next to another topic.
    assert float(german @ english) > float(german @ weather) + 0.2
    assert float(japanese @ english) > float(japanese @ weather) + 0.2
    assert embedder.embed([]) == []


def test_local_embedder_names_the_models_it_knows() -> None:
    with pytest.raises(ValueError, match="unknown local embedding model 'bert'"):
        local_embedder("bert")


@respx.mock(assert_all_called=True)
def test_openai_embedder_normalizes_and_keeps_order(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{BASE}/embeddings").mock(
        return_value=httpx.Response(
            200,
            json={
                "object": "list",
                "model": "text-embedding-3-small",
                "data": [  # out of order on purpose: rows are matched by index
                    {"object": "embedding", "index": 1, "embedding": [0.0, 2.0, 0.0]},
                    {"object": "embedding", "index": 0, "embedding": [3.0, 0.0, 4.0]},
                ],
                "usage": {"prompt_tokens": 4, "total_tokens": 4},
            },
        )
    )
    embedder = OpenAIEmbedder("text-embedding-3-small", base_url=BASE, api_key="sk-test")
    assert isinstance(embedder, Embedder)
    assert embedder.model_id == "openai:text-embedding-3-small"

    vectors = embedder.embed(["first", "second"])

    assert vectors[0] == pytest.approx([0.6, 0.0, 0.8])
    assert vectors[1] == pytest.approx([0.0, 1.0, 0.0])
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer sk-test"
    body = json.loads(request.content)
    assert body["model"] == "text-embedding-3-small"
    assert body["input"] == ["first", "second"]


@respx.mock
def test_openai_embedder_empty_input_makes_no_call(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{BASE}/embeddings")
    assert OpenAIEmbedder("m", base_url=BASE, api_key="k").embed([]) == []
    assert not route.called


@respx.mock
def test_openai_embedder_does_not_retry_errors(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{BASE}/embeddings").mock(
        return_value=httpx.Response(503, json={"error": {"message": "overloaded"}})
    )
    with pytest.raises(openai.InternalServerError):
        OpenAIEmbedder("m", base_url=BASE, api_key="k").embed(["x"])
    assert route.call_count == 1


class _Counting:
    """An embedder that records what it was asked to embed."""

    model_id = "counting"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[float(len(t)), 1.0] for t in texts]


def test_caching_embedder_embeds_each_distinct_text_once() -> None:
    inner = _Counting()
    cached = CachingEmbedder(inner, maxsize=10)
    assert cached.model_id == "counting"
    first = cached.embed(["ab", "abc", "ab"])
    assert first == [[2.0, 1.0], [3.0, 1.0], [2.0, 1.0]]
    assert inner.calls == [["ab", "abc"]]  # duplicates within a call are embedded once
    assert cached.embed(["abc", "abcd"]) == [[3.0, 1.0], [4.0, 1.0]]
    assert inner.calls[-1] == ["abcd"]  # only the miss
    assert cached.embed([]) == []
    assert len(inner.calls) == 2


def test_caching_embedder_evicts_the_least_recently_used() -> None:
    inner = _Counting()
    cached = CachingEmbedder(inner, maxsize=2)
    cached.embed(["a", "b"])
    cached.embed(["a"])  # a is now the most recent
    cached.embed(["c"])  # evicts b
    inner.calls.clear()
    cached.embed(["a", "b", "c"])
    assert inner.calls == [["b"]]


def test_caching_embedder_returns_what_the_model_returns(embedder: Embedder) -> None:
    """The same vectors, up to float rounding: a model's matrix products round a row a little
    differently with the rows batched beside it (here the cache answers the reversed batch
    from the first one)."""
    cached = CachingEmbedder(embedder)
    texts = ["locked out of my account", "charged twice"]
    assert cached.embed(texts) == embedder.embed(texts)
    for got, want in zip(cached.embed(texts[::-1]), embedder.embed(texts[::-1]), strict=True):
        assert got == pytest.approx(want, abs=1e-6)


class _Held:
    """The real model behind a gate: the first run waits until the test opens it, so that
    other calls queue behind it meanwhile."""

    model_id = "held"

    def __init__(self, model: Embedder) -> None:
        self._model = model
        self.runs: list[list[str]] = []
        self.running = threading.Event()
        self.gate = threading.Event()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.runs.append(list(texts))
        self.running.set()
        self.gate.wait(timeout=30)
        if any(t == "boom" for t in texts):
            raise RuntimeError("the model failed")
        return self._model.embed(texts)


def test_batching_embedder_runs_queued_calls_together(embedder: Embedder) -> None:
    held = _Held(embedder)
    batching = BatchingEmbedder(held)
    texts = [["charged twice"], ["locked out", "password reset"], ["claim delayed"], ["refund"]]
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batching.embed, texts[0])
        assert held.running.wait(timeout=30)  # the first run holds the model
        rest = [pool.submit(batching.embed, t) for t in texts[1:]]
        while len(batching._queue) < 3:  # the others queue behind it
            time.sleep(0.001)
        held.gate.set()
        got = [first.result(timeout=30), *(f.result(timeout=30) for f in rest)]
    assert held.runs == [texts[0], [t for call in texts[1:] for t in call]]  # two runs, not 4
    for call, vectors in zip(texts, got, strict=True):  # each call gets its own vectors
        # (a batch may differ from a lone run in the last float bits)
        np.testing.assert_allclose(vectors, embedder.embed(call), atol=1e-5)


def test_batching_embedder_gives_a_runs_error_to_its_calls_only(embedder: Embedder) -> None:
    held = _Held(embedder)
    held.gate.set()
    batching = BatchingEmbedder(held)
    with pytest.raises(RuntimeError, match="the model failed"):
        batching.embed(["boom"])
    assert batching.embed(["fine"]) == embedder.embed(["fine"])
    assert batching.embed([]) == []

"""Embedders: the bundled MiniLM model, and an OpenAI-compatible endpoint over mocked HTTP."""

from __future__ import annotations

import json
import math

import httpx
import openai
import pytest
import respx

from agent.embeddings import Embedder, MiniLMEmbedder, OpenAIEmbedder

BASE = "http://embeddings.test/v1"


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def test_minilm_vectors_are_unit_length_and_meaningful(embedder: MiniLMEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    charged, refund, weather = embedder.embed(
        ["I was charged twice", "please refund the double payment", "sunny weather tomorrow"]
    )
    assert len(charged) == 384
    assert _norm(charged) == pytest.approx(1.0, abs=1e-4)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(charged, refund) > cosine(charged, weather)
    assert embedder.embed([]) == []


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

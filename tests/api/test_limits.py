"""The body size limit: refused before parsing, in the error shape, whatever the framing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.service import Decider
from api.app import create_app
from api.settings import Settings

LIMIT = 4096


@pytest.fixture(scope="module")
def small(decider: Decider, data_dir: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=data_dir, max_body_bytes=LIMIT), decider=decider)
    with TestClient(app) as client:
        yield client


def _decide_body(padding: int) -> bytes:
    context = {"direction": "inbound", "channel": "chat", "reason": "x" * padding}
    return json.dumps({"customer_id": "c13_amehta", "context": context}).encode()


def test_a_body_over_the_limit_is_413_naming_it(small: TestClient) -> None:
    body = json.dumps({"customer_id": "c13_amehta", "events": [{"id": "e"} for _ in range(900)]})
    assert len(body) > LIMIT
    response = small.post("/v1/decide", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert str(LIMIT) in error["message"]
    assert error["field"] == "body"


def test_a_chunked_body_is_cut_off_at_the_limit(small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):  # 100 KB that never says how long it is
            yield b" " * 1024

    response = small.post(
        "/v1/decide", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_body_within_the_limit_goes_through(small: TestClient) -> None:
    body = _decide_body(900)
    assert len(body) < LIMIT
    response = small.post("/v1/decide", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text

    def chunks() -> Iterator[bytes]:
        yield body[:100]
        yield body[100:]

    streamed = small.post(
        "/v1/decide", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 200, streamed.text


def test_the_default_limit_is_256_kib(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).max_body_bytes == 262_144


def test_free_values_are_capped_and_flat(client: TestClient) -> None:
    long_attribute = {"customer_id": "cus_caps", "attributes": {"notes": "x" * 1001}}
    response = client.put("/v1/customers/cus_caps", json=long_attribute)
    assert response.status_code == 422
    assert "body.attributes.notes" in [f["path"] for f in response.json()["error"]["fields"]]
    nested = {"customer_id": "cus_caps", "attributes": {"a": {"b": 1}}}
    assert client.put("/v1/customers/cus_caps", json=nested).status_code == 422
    event = {"id": "e1", "ts": "2026-11-20T10:00:00Z", "channel": "web", "type": "search"}
    response = client.post(
        "/v1/decide",
        json={"customer_id": "c13_amehta", "events": [{**event, "properties": {"q": "y" * 1001}}]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"].startswith("body.events.0.properties.q")
    too_many = [{**event, "id": f"e{n}"} for n in range(501)]
    response = client.post("/v1/decide", json={"customer_id": "c13_amehta", "events": too_many})
    assert response.status_code in (413, 422)  # the body limit or the count, never a 500

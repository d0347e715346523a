"""Whatever a client sends, the answer is a 4xx naming the problem, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

ODD_BODIES: list[Any] = [
    None,
    [],
    42,
    "text",
    {"customer_id": None},
    {"customer_id": 7},
    {"customer_id": "a b c"},
    {"customer_id": "x" * 65},
    {"profile": []},
    {"profile": {"customer_id": "p", "tier": "diamond"}},
    {
        "profile": {
            "customer_id": "p",
            "consents": [{"channel": "fax", "purpose": "service", "granted": True}],
        }
    },
    {"profile": {"customer_id": "p", "churn_risk": 1.5}},
    {"profile": {"customer_id": "p", "nps": 11}},
    {"profile": {"customer_id": "p", "lifetime_value": "-3"}},
    {"profile": {"customer_id": "p", "open_cases": [{"id": "c", "type": "complaint"}]}},
    {"customer_id": "c13_amehta", "events": {"id": "e"}},
    {
        "customer_id": "c13_amehta",
        "events": [{"id": "e", "ts": "yesterday", "channel": "web", "type": "error"}],
    },
    {"customer_id": "c13_amehta", "events": [{}] * 501},
    {"customer_id": "c13_amehta", "context": {"direction": "sideways"}},
    {"customer_id": "c13_amehta", "context": {"journey": "Not A Slug"}},
    {"customer_id": "c13_amehta", "context": {"reason": "x" * 1001}},
    {"customer_id": "a", "profile": {"customer_id": "b"}},
    {"profile": {"customer_id": "p", "timezone": "America"}},
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=[f"body{i}" for i in range(len(ODD_BODIES))])
@pytest.mark.parametrize("path", ["/v1/decide", "/v1/briefings"])
def test_odd_bodies_are_422(client: TestClient, path: str, body: Any) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/v1/customers/%20bad", id="bad-customer-id"),
        pytest.param("GET", "/v1/decisions?kind=other", id="bad-kind"),
        pytest.param("GET", "/v1/decisions?mode=magic", id="bad-mode"),
        pytest.param("GET", "/v1/decisions?since=not-a-date", id="bad-since"),
        pytest.param("GET", "/v1/decisions?customer_id=a%20b", id="bad-customer-filter"),
        pytest.param(
            "GET",
            "/v1/decisions?since=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z",
            id="since-after-until",
        ),
        pytest.param("GET", "/v1/customers?limit=abc", id="bad-limit"),
        pytest.param("POST", "/v1/customers/c13_amehta/events", id="no-body"),
        pytest.param("PUT", "/v1/customers/c13_amehta", id="put-no-body"),
    ],
)
def test_odd_requests_are_4xx(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()


@pytest.mark.parametrize("number", [b"1e400", b"NaN", b"-Infinity"])
def test_non_finite_numbers_are_422(client: TestClient, number: bytes) -> None:
    body = (
        b'{"customer_id": "c13_amehta", "events": [{"id": "e", "ts": "2026-11-20T10:00:00Z", '
        b'"channel": "web", "type": "page_view", "properties": {"page_type": "help", '
        b'"dwell_seconds": ' + number + b"}}]}"
    )
    response = client.post("/v1/decide", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["path"].startswith("body.events.0.properties")


def test_cross_field_filter_errors_name_the_field(client: TestClient) -> None:
    response = client.get(
        "/v1/decisions", params={"since": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"].startswith("query")

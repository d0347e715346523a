"""The error shape for what no route handles, the 500 safety net, readiness, and the docs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.service import Decider
from api.app import create_app
from api.settings import Settings


def test_unknown_route_is_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "/v1/nothing-here" in response.json()["error"]["message"]


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    response = client.delete("/v1/decide")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["allow"]


def test_a_bug_is_a_json_500_with_a_request_id(decider: Decider, data_dir: Path) -> None:
    app = create_app(Settings(data_dir=data_dir), decider=decider)

    async def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/v1/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/v1/broken")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert error["request_id"] in error["message"]
    assert "secret internals" not in response.text


def test_idempotency_key_longer_than_200_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/decide", json={"customer_id": "c13_amehta"}, headers={"Idempotency-Key": "k" * 201}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "header.Idempotency-Key"


def test_missing_customer_and_profile_names_both(client: TestClient) -> None:
    response = client.post("/v1/decide", json={"context": {"direction": "inbound"}})
    assert response.status_code == 422
    field = response.json()["error"]["fields"][0]
    assert field["path"] == "body"
    assert field["message"] == "give either customer_id or profile"


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/v1/decide",
        "/v1/briefings",
        "/v1/decisions",
        "/v1/decisions/{decision_id}",
        "/v1/customers",
        "/v1/customers/{customer_id}",
        "/v1/customers/{customer_id}/events",
        "/v1/playbooks",
        "/healthz",
        "/readyz",
    } <= paths
    decide = spec["paths"]["/v1/decide"]["post"]
    assert decide["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/DecideResponse"
    )


@pytest.fixture
def closed_client(tmp_path: Path) -> Iterator[TestClient]:
    """An app whose stores are closed under it: readiness must say so."""
    settings = Settings(data_dir=tmp_path)
    decider = Decider.build(settings.to_agent_config())
    with TestClient(create_app(settings, decider=decider)) as test_client:
        assert test_client.get("/readyz").status_code == 200
        decider.close()
        yield test_client


def test_readyz_is_503_when_a_store_fails(closed_client: TestClient, tmp_path: Path) -> None:
    response = closed_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["checks"]["customers"].startswith("error: ")
    assert str(tmp_path) not in response.text  # details go to the log, not to the caller
    assert closed_client.get("/healthz").status_code == 200

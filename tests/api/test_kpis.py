"""GET /v1/kpis through HTTP, and unknown query parameters refused on every list route."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_kpis_count_decisions_and_their_outcomes(client: TestClient) -> None:
    decided = [
        client.post("/v1/decide", json={"customer_id": "c05_ralmeida"}).json()["decision_id"]
        for _ in range(2)
    ]
    client.post(f"/v1/decisions/{decided[0]}/outcomes", json={"id": "k-1", "type": "executed"})
    client.post(
        f"/v1/decisions/{decided[0]}/outcomes",
        json={"id": "k-2", "type": "converted", "value": {"amount": "30.00", "currency": "EUR"}},
    )
    client.post(f"/v1/decisions/{decided[1]}/outcomes", json={"id": "k-3", "type": "declined"})

    response = client.get("/v1/kpis", params={"journey": "cart_recovery"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["group_by"] == "journey"
    [cart] = report["groups"]
    assert cart["key"] == "cart_recovery"
    assert cart["decisions"] >= 2
    assert cart["execution"]["k"] >= 1
    assert cart["execution"]["n"] >= 2
    assert cart["conversion"]["k"] >= 1
    low, high = cart["execution"]["ci_low"], cart["execution"]["ci_high"]
    assert 0 <= low <= cart["execution"]["value"] <= high <= 1
    assert {"currency": "EUR", "amount": "30.00"} in [
        {**v, "amount": f"{float(v['amount']):.2f}"} for v in cart["value"]
    ]
    assert report["overall"]["decisions"] == cart["decisions"]

    by_action = client.get("/v1/kpis", params={"group_by": "action_type"}).json()
    assert "send_message" in {g["key"] for g in by_action["groups"]}


@pytest.mark.parametrize(
    ("params", "path"),
    [
        pytest.param({"group_by": "weather"}, "query.group_by", id="unknown-grouping"),
        pytest.param({"since": "2026-11-20T10:00:00"}, "query.since", id="naive-time"),
        pytest.param(
            {"since": "2026-11-20T10:00:00Z", "until": "2026-11-01T00:00:00Z"},
            "query.since",
            id="since-after-until",
        ),
        pytest.param({"journey": "Cart Recovery"}, "query.journey", id="bad-journey"),
    ],
)
def test_bad_kpi_queries_are_422(client: TestClient, params: dict[str, str], path: str) -> None:
    response = client.get("/v1/kpis", params=params)
    assert response.status_code == 422, response.text
    assert path in [f["path"] for f in response.json()["error"]["fields"]]


@pytest.mark.parametrize(
    "url",
    [
        "/v1/decisions?customer=c13_amehta",
        "/v1/customers?page=2",
        "/v1/kpis?groupby=journey",
        "/v1/playbooks?journey=billing_dispute",
        "/v1/decisions/dec_x?verbose=true",
        "/healthz?probe=1",
    ],
)
def test_unknown_query_parameters_are_422_not_ignored(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    name = url.split("?")[1].split("=")[0]
    assert error["fields"][0]["path"] == f"query.{name}"
    assert "unknown query parameter" in error["message"]

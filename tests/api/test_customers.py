from __future__ import annotations

from fastapi.testclient import TestClient

PROFILE = {"customer_id": "cus_new", "tier": "standard", "timezone": "Europe/London"}


def test_put_creates_then_replaces(client: TestClient) -> None:
    created = client.put("/v1/customers/cus_new", json=PROFILE)
    assert created.status_code == 201, created.text
    replaced = client.put("/v1/customers/cus_new", json={**PROFILE, "tier": "gold"})
    assert replaced.status_code == 200
    assert client.get("/v1/customers/cus_new").json()["tier"] == "gold"


def test_put_with_mismatched_id_is_422(client: TestClient) -> None:
    response = client.put("/v1/customers/someone_else", json=PROFILE)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body.customer_id"


def test_get_unknown_customer_is_404(client: TestClient) -> None:
    response = client.get("/v1/customers/nobody")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "customer_not_found"


def test_list_customers_paginates(client: TestClient) -> None:
    first = client.get("/v1/customers", params={"limit": 5}).json()
    assert len(first["items"]) == 5
    second = client.get("/v1/customers", params={"limit": 5, "cursor": first["next_cursor"]}).json()
    first_ids = {p["customer_id"] for p in first["items"]}
    assert first_ids.isdisjoint({p["customer_id"] for p in second["items"]})
    assert client.get("/v1/customers", params={"cursor": "%%%"}).status_code == 400


def test_events_are_appended_once(client: TestClient) -> None:
    client.put("/v1/customers/cus_events", json={**PROFILE, "customer_id": "cus_events"})
    events = {
        "events": [
            {
                "id": "evt_a",
                "ts": "2026-11-20T19:00:00Z",
                "channel": "web",
                "type": "error",
                "properties": {"code": "E42"},
            }
        ]
    }
    first = client.post("/v1/customers/cus_events/events", json=events)
    assert first.status_code == 202
    assert first.json() == {"accepted": 1, "new": 1}
    again = client.post("/v1/customers/cus_events/events", json=events)
    assert again.json() == {"accepted": 1, "new": 0}
    decision = client.post("/v1/decide", json={"customer_id": "cus_events"}).json()
    record = client.get(f"/v1/decisions/{decision['decision_id']}").json()
    assert [e["id"] for e in record["events"]] == ["evt_a"]


def test_events_for_unknown_customer_is_404(client: TestClient) -> None:
    events = {
        "events": [{"id": "e", "ts": "2026-11-20T19:00:00Z", "channel": "web", "type": "error"}]
    }
    assert client.post("/v1/customers/nobody/events", json=events).status_code == 404


def test_empty_or_bad_events_are_422(client: TestClient) -> None:
    assert client.post("/v1/customers/cus_new/events", json={"events": []}).status_code == 422
    bad = client.post(
        "/v1/customers/cus_new/events",
        json={"events": [{"id": "e", "ts": "x", "channel": "web", "type": "Bad Type"}]},
    )
    assert bad.status_code == 422
    paths = {f["path"] for f in bad.json()["error"]["fields"]}
    assert {"body.events.0.ts", "body.events.0.type"} <= paths

from __future__ import annotations

from fastapi.testclient import TestClient


def _decide(client: TestClient, customer_id: str) -> str:
    response = client.post("/v1/decide", json={"customer_id": customer_id})
    assert response.status_code == 200, response.text
    return str(response.json()["decision_id"])


def test_pagination_walks_every_decision_once(client: TestClient) -> None:
    ids = {_decide(client, "c09_athompson") for _ in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {
            "customer_id": "c09_athompson",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        page = client.get("/v1/decisions", params=params).json()
        seen += [item["decision_id"] for item in page["items"]]
        assert len(page["items"]) <= 2
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert ids <= set(seen)


def test_filters(client: TestClient) -> None:
    decision_id = _decide(client, "c06_lmartin")
    record = client.get(f"/v1/decisions/{decision_id}").json()
    action = record["chosen"]["call"]["type"]
    items = client.get(
        "/v1/decisions", params={"customer_id": "c06_lmartin", "action_type": action}
    ).json()["items"]
    assert decision_id in {i["decision_id"] for i in items}
    assert all(i["action_type"] == action and i["customer_id"] == "c06_lmartin" for i in items)
    assert client.get("/v1/decisions", params={"mode": "llm"}).json()["items"] == []
    since = client.get("/v1/decisions", params={"since": "2030-01-01T00:00:00Z"}).json()
    assert since["items"] == []
    until = client.get("/v1/decisions", params={"until": "2000-01-01T00:00:00+00:00"}).json()
    assert until["items"] == []


def test_unknown_decision_is_404(client: TestClient) -> None:
    response = client.get("/v1/decisions/dec_nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "decision_not_found"


def test_bad_query_parameters(client: TestClient) -> None:
    naive = client.get("/v1/decisions", params={"since": "2026-11-20T10:00:00"})
    assert naive.status_code == 422
    assert naive.json()["error"]["fields"][0]["path"] == "query.since"
    assert client.get("/v1/decisions", params={"limit": 0}).status_code == 422
    assert client.get("/v1/decisions", params={"limit": 201}).status_code == 422
    assert client.get("/v1/decisions", params={"action_type": "teleport"}).status_code == 422
    bad_cursor = client.get("/v1/decisions", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["error"]["code"] == "invalid_cursor"

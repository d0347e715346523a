from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from agent.service import Decider
from api.app import create_app
from api.settings import Settings

BRIEF = {
    "customer_id": "c08_dokafor",
    "context": {"direction": "inbound", "channel": "chat", "reason": "I'm locked out again"},
}


def test_briefing_cites_facts(client: TestClient) -> None:
    response = client.post("/v1/briefings", json=BRIEF)
    assert response.status_code == 200, response.text
    body = response.json()
    briefing = body["briefing"]
    fact_ids = {f["id"] for f in briefing["facts"]}
    sections = [
        "customer_summary",
        "trying_to_do",
        "what_went_wrong",
        "sentiment_and_effort",
        "recommended_action",
    ]
    for section in sections:
        assert briefing[section], section
        for item in briefing[section]:
            assert set(item["fact_ids"]) <= fact_ids
    assert any(f["source"] == "event" for f in briefing["facts"])
    assert body["markdown"].startswith("# Handoff briefing")
    record = client.get(f"/v1/decisions/{body['decision_id']}").json()
    assert record["kind"] == "briefing"
    assert record["briefing"]["briefing_id"] == body["briefing_id"]


def test_briefing_as_markdown(client: TestClient) -> None:
    response = client.post("/v1/briefings", params={"format": "markdown"}, json=BRIEF)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert "## What went wrong" in response.text


def test_playbooks_lists_the_active_ones(client: TestClient) -> None:
    response = client.get("/v1/playbooks")
    assert response.status_code == 200
    playbooks = response.json()
    assert len(playbooks) >= 24
    fields = {"id", "version", "title", "journey", "intents", "channels", "owner", "priority"}
    assert set(playbooks[0]) == {*fields, "actions"}
    assert len({p["id"] for p in playbooks}) == len(playbooks)  # one active version each
    assert all(p["actions"] and p["actions"][0]["type"] for p in playbooks)


def test_briefing_retry_is_replayed(client: TestClient) -> None:
    headers = {"Idempotency-Key": "brief-retry-1"}
    first = client.post("/v1/briefings", json=BRIEF, headers=headers)
    second = client.post("/v1/briefings", json=BRIEF, headers=headers)
    assert first.status_code == second.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["briefing_id"] == second.json()["briefing_id"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"customers": "ok", "decision_log": "ok", "playbooks": "ok"}


def test_api_keys_guard_v1_routes(decider: Decider, data_dir: Path) -> None:
    key = "k3y-0123456789abcdef"
    app = create_app(Settings(data_dir=data_dir, api_keys=[key]), decider=decider)
    with TestClient(app) as secured:
        missing = secured.get("/v1/playbooks")
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "unauthorized"
        wrong = secured.get(
            "/v1/playbooks", headers={"Authorization": "Bearer nope-nope-nope-nope"}
        )
        assert wrong.status_code == 401
        assert wrong.headers["WWW-Authenticate"] == "Bearer"
        assert wrong.json()["error"]["message"] == "invalid API key"
        basic = secured.get("/v1/decisions", headers={"Authorization": f"Basic {key}"})
        assert basic.status_code == 401
        assert (
            secured.get("/v1/playbooks", headers={"Authorization": f"Bearer {key}"}).status_code
            == 200
        )
        assert (
            secured.post(
                "/v1/decide",
                json={"customer_id": "c13_amehta"},
                headers={"Authorization": f"Bearer {key}"},
            ).status_code
            == 200
        )
        assert secured.get("/healthz").status_code == 200
        assert secured.get("/readyz").status_code == 200
        spec = secured.get("/openapi.json").json()
        v1 = {path: ops for path, ops in spec["paths"].items() if path.startswith("/v1")}
        assert len(v1) >= 7
        for template, operations in v1.items():  # a router added without auth fails here
            path = template.replace("{customer_id}", "c13_amehta").replace("{decision_id}", "dec_x")
            for method in operations:
                response = secured.request(method, path, json={})
                assert response.status_code == 401, (method, template)

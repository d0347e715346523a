from __future__ import annotations

from pathlib import Path

import pytest
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
    playbooks = client.get("/v1/playbooks").json()
    assert len(playbooks) >= 24
    assert {"id", "version", "journey", "actions", "owner"} <= set(playbooks[0])


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
        assert (
            secured.get("/v1/playbooks", headers={"Authorization": f"Bearer {key}"}).status_code
            == 200
        )
        assert secured.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"workers": 2}, "Chroma server", id="workers-need-chroma-server"),
        pytest.param({"api_keys": ["changeme"]}, "placeholder", id="placeholder-api-key"),
        pytest.param({"embedding": "openai"}, "EMBEDDING_API_KEY", id="openai-without-key"),
    ],
)
def test_settings_refuse_unsafe_values(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(data_dir=tmp_path, **overrides)

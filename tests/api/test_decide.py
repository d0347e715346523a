from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

INBOUND_BILLING: dict[str, Any] = {
    "customer_id": "c13_amehta",
    "context": {
        "direction": "inbound",
        "channel": "chat",
        "reason": "I was charged twice this month",
    },
}


def test_decide_for_a_stored_customer_returns_a_governed_action(client: TestClient) -> None:
    response = client.post("/v1/decide", json=INBOUND_BILLING)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision_id"].startswith("dec_")
    assert body["action"]["type"] in {"handoff_to_agent", "open_case", "send_message"}
    assert body["mode"] == "rules"
    assert body["playbooks"]
    assert all(p["version"] >= 1 for p in body["playbooks"])
    assert {v["policy_id"] for v in body["verdicts"]} >= {"consent", "suppression"}
    assert body["rationale"]
    assert set(body["timings_ms"]) >= {
        "load_context",
        "retrieve",
        "plan",
        "guard",
        "arbitrate",
        "record",
    }
    record = client.get(f"/v1/decisions/{body['decision_id']}").json()
    assert record["chosen"]["call"]["type"] == body["action"]["type"]
    assert record["profile_source"] == "store"


def test_decide_with_inline_profile_and_events(client: TestClient) -> None:
    response = client.post(
        "/v1/decide",
        json={
            "profile": {
                "customer_id": "ext-42",
                "tier": "silver",
                "timezone": "America/New_York",
                "consents": [{"channel": "email", "purpose": "service", "granted": True}],
            },
            "events": [
                {
                    "id": "x1",
                    "ts": "2026-11-20T20:00:00Z",
                    "channel": "web",
                    "type": "login_failed",
                },
                {
                    "id": "x2",
                    "ts": "2026-11-20T20:01:00Z",
                    "channel": "web",
                    "type": "login_failed",
                },
                {
                    "id": "x3",
                    "ts": "2026-11-20T20:02:00Z",
                    "channel": "web",
                    "type": "account_locked",
                },
            ],
            "context": {
                "direction": "inbound",
                "channel": "chat",
                "reason": "locked out of my account",
            },
        },
    )
    assert response.status_code == 200, response.text
    record = client.get(f"/v1/decisions/{response.json()['decision_id']}").json()
    assert record["profile_source"] == "inline"
    assert record["signals"]["journey"]["journey"] == "account_access"
    assert record["signals"]["effort"]["failed_logins"] == 2


def test_sms_without_consent_is_denied_and_an_alternative_chosen(client: TestClient) -> None:
    body = client.post(
        "/v1/decide",
        json={
            "customer_id": "c05_ralmeida",
            "context": {"direction": "outbound", "journey": "cart_recovery"},
        },
    ).json()
    denied = [v for v in body["verdicts"] if v["reason_code"] == "consent_missing"]
    assert denied, body["verdicts"]
    assert not (
        body["action"]["type"] == "send_message" and body["action"]["args"]["channel"] == "sms"
    )


def test_idempotent_retry_returns_the_same_decision(client: TestClient) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post("/v1/decide", json=INBOUND_BILLING, headers=headers)
    second = client.post("/v1/decide", json=INBOUND_BILLING, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["decision_id"] == second.json()["decision_id"]
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"


def test_idempotency_key_reused_for_another_request_is_409(client: TestClient) -> None:
    headers = {"Idempotency-Key": "retry-2"}
    assert client.post("/v1/decide", json=INBOUND_BILLING, headers=headers).status_code == 200
    other = {**INBOUND_BILLING, "context": {"direction": "outbound"}}
    response = client.post("/v1/decide", json=other, headers=headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_mismatch"


def test_unknown_customer_is_404_with_a_clear_message(client: TestClient) -> None:
    response = client.post("/v1/decide", json={"customer_id": "nobody"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "customer_not_found"
    assert "'nobody'" in error["message"]


def _fields(response: Any) -> list[str]:
    return [f["path"] for f in response.json()["error"]["fields"]]


def test_missing_customer_is_422(client: TestClient) -> None:
    response = client.post("/v1/decide", json={"context": {}})
    assert response.status_code == 422
    assert "give either customer_id or profile" in response.json()["error"]["message"]


def test_bad_timezone_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post(
        "/v1/decide", json={"profile": {"customer_id": "a", "timezone": "Mars/Base"}}
    )
    assert response.status_code == 422
    assert "body.profile.timezone" in _fields(response)
    assert "unknown IANA timezone" in response.json()["error"]["message"]


def test_naive_event_time_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/decide",
        json={
            "customer_id": "c13_amehta",
            "events": [{"id": "e", "ts": "2026-11-20T10:00:00", "channel": "web", "type": "error"}],
        },
    )
    assert response.status_code == 422
    assert "body.events.0.ts" in _fields(response)


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/decide", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_unknown_field_is_422(client: TestClient) -> None:
    response = client.post("/v1/decide", json={"customer_id": "c13_amehta", "colour": "blue"})
    assert response.status_code == 422
    assert "body.colour" in _fields(response)

"""Outcomes through HTTP: report, replay, conflicts, batches, and the decision's lifecycle."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.demo import demo_now

NOW = demo_now()


def _decide(client: TestClient, customer_id: str = "c06_lmartin") -> str:
    response = client.post("/v1/decide", json={"customer_id": customer_id})
    assert response.status_code == 200, response.text
    return str(response.json()["decision_id"])


def _report(client: TestClient, decision_id: str, **body: Any) -> Any:
    return client.post(f"/v1/decisions/{decision_id}/outcomes", json=body)


def test_a_report_is_a_row_of_its_own_and_shows_on_the_decision(client: TestClient) -> None:
    decision_id = _decide(client)
    before = client.get(f"/v1/decisions/{decision_id}").json()
    assert before["lifecycle"]["state"] == "recommended"
    assert before["lifecycle"]["outcomes"] == []

    response = _report(client, decision_id, id="crm-1", type="executed", source="crm")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["replayed"] is False
    assert body["decision_state"] == "executed"
    assert body["outcome"]["decision_id"] == decision_id
    assert body["outcome"]["ts"] == body["outcome"]["recorded_at"]

    after = client.get(f"/v1/decisions/{decision_id}").json()
    assert after["lifecycle"]["state"] == "executed"
    assert [o["outcome_id"] for o in after["lifecycle"]["outcomes"]] == ["crm-1"]
    # the record itself is unchanged: outcomes live beside it
    assert {k: v for k, v in after.items() if k != "lifecycle"} == {
        k: v for k, v in before.items() if k != "lifecycle"
    }
    listed = client.get("/v1/decisions", params={"customer_id": "c06_lmartin"}).json()
    states = {i["decision_id"]: i["state"] for i in listed["items"]}
    assert states[decision_id] == "executed"


def test_a_resent_report_is_replayed_never_doubled(client: TestClient) -> None:
    decision_id = _decide(client)
    value = {"amount": "49.90", "currency": "EUR"}
    first = _report(client, decision_id, id="shop-1", type="converted", value=value)
    again = _report(client, decision_id, id="shop-1", type="converted", value=value)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["outcome"] == first.json()["outcome"]
    outcomes = client.get(f"/v1/decisions/{decision_id}").json()["lifecycle"]["outcomes"]
    assert len(outcomes) == 1


def test_a_reused_id_with_other_content_is_409(client: TestClient) -> None:
    decision_id = _decide(client)
    assert _report(client, decision_id, id="o-1", type="executed").status_code == 201
    response = _report(client, decision_id, id="o-1", type="declined")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_mismatch"
    assert response.json()["error"]["field"] == "id"


def test_an_unknown_decision_is_404(client: TestClient) -> None:
    response = _report(client, "dec_nope", id="o-1", type="executed")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "decision_not_found"
    assert "dec_nope" in error["message"]


@pytest.mark.parametrize(
    ("first", "second", "says"),
    [
        pytest.param(
            {"type": "declined"},
            {"type": "converted", "value": {"amount": "10", "currency": "EUR"}},
            "reported declined, so it cannot be converted",
            id="converted-after-declined",
        ),
        pytest.param(
            None,
            {"type": "executed", "ts": "2026-11-20T20:29:00Z"},
            "before its decision",
            id="dated-before-the-decision",
        ),
    ],
)
def test_a_contradiction_is_409_saying_why(
    client: TestClient, first: dict[str, Any] | None, second: dict[str, Any], says: str
) -> None:
    decision_id = _decide(client)
    if first is not None:
        assert _report(client, decision_id, id="o-1", **first).status_code == 201
    response = _report(client, decision_id, id="o-2", **second)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "outcome_conflict"
    assert says in error["message"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param({"id": "o-1", "type": "teleported"}, "body.type", id="unknown-type"),
        pytest.param(
            {"id": "o-1", "type": "executed", "value": {"amount": "5", "currency": "EUR"}},
            "body",
            id="value-not-on-a-conversion",
        ),
        pytest.param(
            {"id": "o-1", "type": "executed", "ts": "2026-11-20T21:00:00"},
            "body.ts",
            id="naive-ts",
        ),
        pytest.param(
            {"id": "o-1", "type": "executed", "ts": "2026-11-21T20:30:00Z"},
            "body.ts",
            id="ts-in-the-future",
        ),
        pytest.param({"id": "has space", "type": "executed"}, "body.id", id="bad-id"),
        pytest.param({"id": "o-1", "type": "executed", "extra": 1}, "body.extra", id="extra"),
    ],
)
def test_invalid_reports_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], path: str
) -> None:
    decision_id = _decide(client)
    response = _report(client, decision_id, **body)
    assert response.status_code == 422, response.text
    assert path in [f["path"] for f in response.json()["error"]["fields"]]


def test_a_batch_is_stored_whole(client: TestClient) -> None:
    first, second = _decide(client), _decide(client, "c09_athompson")
    batch = {
        "outcomes": [
            {"decision_id": first, "id": "b-1", "type": "executed"},
            {"decision_id": first, "id": "b-2", "type": "accepted"},
            {"decision_id": second, "id": "b-3", "type": "declined", "source": "braze"},
        ]
    }
    response = client.post("/v1/outcomes", json=batch)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    again = client.post("/v1/outcomes", json=batch).json()
    assert (again["created"], again["replayed"]) == (0, 3)
    assert client.get(f"/v1/decisions/{second}").json()["lifecycle"]["state"] == "declined"


def test_a_batch_with_one_bad_item_writes_nothing_and_names_its_index(
    client: TestClient,
) -> None:
    decision_id = _decide(client)
    batch = {
        "outcomes": [
            {"decision_id": decision_id, "id": "c-1", "type": "executed"},
            {"decision_id": decision_id, "id": "c-2", "type": "accepted"},
            {"decision_id": "dec_nope", "id": "c-3", "type": "executed"},
        ]
    }
    response = client.post("/v1/outcomes", json=batch)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert [f["path"] for f in error["fields"]] == ["body.outcomes.2.decision_id"]
    assert "dec_nope" in error["fields"][0]["message"]
    assert client.get(f"/v1/decisions/{decision_id}").json()["lifecycle"]["outcomes"] == []

    invalid = {"outcomes": [{"decision_id": decision_id, "id": "c-1", "type": "executed"}] * 2}
    invalid["outcomes"] = [*invalid["outcomes"], {"decision_id": decision_id, "id": "c-4"}]
    response = client.post("/v1/outcomes", json=invalid)
    assert response.status_code == 422
    assert [f["path"] for f in response.json()["error"]["fields"]] == ["body.outcomes.2.type"]


def test_a_batch_holds_at_most_500(client: TestClient) -> None:
    item = {"decision_id": "dec_x", "id": "o", "type": "executed"}
    response = client.post("/v1/outcomes", json={"outcomes": [item] * 501})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "body.outcomes"
    empty = client.post("/v1/outcomes", json={"outcomes": []})
    assert empty.status_code == 422

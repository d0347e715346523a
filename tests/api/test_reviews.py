"""Reviews through HTTP: a verdict with the action the reviewer would have taken, validated
like the agent's own calls; the list, its filters and pages; the decision shows its reviews."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

HANDOFF = {
    "type": "handoff_to_agent",
    "args": {"queue": "billing", "priority": "high", "reason": "third contact on the charge"},
}


def _decision(client: TestClient, customer_id: str = "c13_amehta") -> str:
    response = client.post("/v1/decide", json={"customer_id": customer_id})
    assert response.status_code == 200, response.text
    return str(response.json()["decision_id"])


def _review(client: TestClient, decision_id: str, body: dict[str, Any]) -> Any:
    return client.post(f"/v1/decisions/{decision_id}/reviews", json=body)


def test_a_review_is_stored_listed_and_shown_on_the_decision(client: TestClient) -> None:
    decision_id = _decision(client)
    body = {
        "verdict": "poor",
        "action": HANDOFF,
        "tags": ["billing", "repeat-contact"],
        "note": "They read out 4111 1111 1111 1111 again; reach them at amehta@example.org",
    }
    response = _review(client, decision_id, body)
    assert response.status_code == 201, response.text
    review = response.json()
    assert review["review_id"].startswith("rev_")
    assert (review["decision_id"], review["verdict"], review["reviewer"]) == (
        decision_id,
        "poor",
        "anonymous",
    )
    assert review["action"]["args"]["queue"] == "billing"
    assert "4111" not in review["note"]
    assert "amehta@example.org" not in review["note"]

    detail = client.get(f"/v1/decisions/{decision_id}").json()
    assert [r["review_id"] for r in detail["reviews"]] == [review["review_id"]]
    listed = client.get("/v1/reviews", params={"decision_id": decision_id}).json()
    assert [r["review_id"] for r in listed["items"]] == [review["review_id"]]
    assert client.get("/v1/reviews", params={"tag": "repeat-contact"}).json()["items"]
    assert not client.get(
        "/v1/reviews", params={"tag": "repeat", "decision_id": decision_id}
    ).json()["items"]


def test_reviews_page_newest_first_and_filter_by_verdict(client: TestClient) -> None:
    decision_id = _decision(client, "c05_ralmeida")
    written = [
        _review(client, decision_id, {"verdict": verdict, **extra}).json()["review_id"]
        for verdict, extra in (
            ("good", {}),
            ("harmful", {"action": {"type": "no_action", "args": {"reason": "leave it"}}}),
            ("good", {"tags": ["cart"]}),
        )
    ]
    first = client.get("/v1/reviews", params={"decision_id": decision_id, "limit": 2}).json()
    rest = client.get(
        "/v1/reviews",
        params={"decision_id": decision_id, "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    # newest first; the test clock stands still, so ties go by id, descending
    assert [r["review_id"] for r in first["items"] + rest["items"]] == sorted(written)[::-1]
    assert rest["next_cursor"] is None
    harmful = client.get("/v1/reviews", params={"decision_id": decision_id, "verdict": "harmful"})
    assert [r["review_id"] for r in harmful.json()["items"]] == [written[1]]


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ({"verdict": "poor"}, "body", "needs the action you would have taken"),
        ({"verdict": "good", "action": HANDOFF}, "body", "leave action out"),
        ({"verdict": "fine"}, "body.verdict", "'good'"),
        (
            {"verdict": "poor", "action": {"type": "send_fax", "args": {}}},
            "body.action",
            "send_message",
        ),
        (
            {
                "verdict": "poor",
                "action": {"type": "handoff_to_agent", "args": {"queue": "billing"}},
            },
            "body.action.handoff_to_agent.args.reason",
            "required",
        ),
        ({"verdict": "good", "tags": ["Billing"]}, "body.tags.0", "pattern"),
        ({"verdict": "good", "tags": ["a", "a"]}, "body", "tags repeat"),
        ({"verdict": "good", "note": "x" * 2001}, "body.note", "2000"),
        ({"verdict": "good", "score": 3}, "body.score", "Extra inputs"),
    ],
)
def test_bad_reviews_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], path: str, words: str
) -> None:
    decision_id = _decision(client, "c09_athompson")
    response = _review(client, decision_id, body)
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["fields"]
    assert any(f["path"] == path and words in f["message"] for f in fields), fields


def test_reviews_of_unknown_decisions_and_bad_queries(client: TestClient) -> None:
    missing = _review(client, "dec_nope", {"verdict": "good"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "decision_not_found"
    assert client.get("/v1/reviews", params={"verdict": "meh"}).status_code == 422
    assert client.get("/v1/reviews", params={"reviewer_name": "x"}).status_code == 422
    assert client.get("/v1/reviews", params={"cursor": "abc"}).status_code == 400
    backwards = client.get(
        "/v1/reviews",
        params={"since": "2026-11-20T00:00:00Z", "until": "2026-11-19T00:00:00Z"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["error"]["field"] == "query.since"


def test_a_review_of_an_erased_customer_is_410_and_old_ones_lose_their_text(
    client: TestClient,
) -> None:
    decision_id = _decision(client, "c06_lmartin")
    kept = _review(client, decision_id, {"verdict": "good", "note": "fine", "tags": ["tech"]})
    assert kept.status_code == 201
    assert client.delete("/v1/customers/c06_lmartin").status_code == 200
    assert _review(client, decision_id, {"verdict": "good"}).status_code == 410
    [listed] = client.get("/v1/reviews", params={"decision_id": decision_id}).json()["items"]
    assert listed["erased"] is True
    assert (listed["verdict"], listed["tags"]) == ("good", ["tech"])
    assert "note" not in listed

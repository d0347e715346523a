"""Approvals through HTTP: a decision whose action needs approval waits in the queue; approve
and reject release a decision of their own after the guards run again; a closed approval
takes no other verdict; expiry releases the safe default; the steps are in the hash chain."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.demo import demo_now, seed
from agent.service import Decider
from api.app import create_app
from api.settings import Settings
from tests.api.loyal_claim import request_approval


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(demo_now())


@pytest.fixture(scope="module")
def decider(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[Decider]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("approvals"))
    built = Decider.build(settings.to_agent_config(), clock=clock)
    asyncio.run(seed(built, clock.now))
    yield built
    built.close()


@pytest.fixture(scope="module")
def client(decider: Decider) -> Iterator[TestClient]:
    settings = Settings(data_dir=decider.deps.config.data_dir, approval_sweep_s=3600)
    with TestClient(create_app(settings, decider=decider)) as test_client:
        yield test_client


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_decision_that_needs_approval_waits_in_the_queue(client: TestClient) -> None:
    decision = request_approval(client)
    assert decision["approval_required"] is True
    assert decision["action"]["type"] == "apply_goodwill_credit"
    approval_id = decision["approval_id"]

    approval = _ok(client.get(f"/v1/approvals/{approval_id}"))
    assert approval["status"] == "pending"
    assert approval["decision_id"] == decision["decision_id"]
    assert approval["action"] == decision["action"]
    assert approval["why"] == ["approval: credit 60 GBP is above 25: a team lead approves"]
    assert [s["kind"] for s in approval["steps"]] == ["requested"]
    expires = datetime.fromisoformat(approval["expires_at"])
    assert expires - datetime.fromisoformat(approval["requested_at"]) == timedelta(hours=4)

    queue = _ok(client.get("/v1/approvals", params={"status": "pending", "limit": 200}))
    assert approval_id in [a["approval_id"] for a in queue["items"]]
    detail = _ok(client.get(f"/v1/decisions/{decision['decision_id']}"))
    assert detail["approval"]["approval_id"] == approval_id


def test_approve_releases_the_action_after_the_guards_run_again(client: TestClient) -> None:
    decision = request_approval(client)
    approval_id = decision["approval_id"]
    approved = _ok(
        client.post(
            f"/v1/approvals/{approval_id}/approve",
            json={"reason": "SLA breach confirmed; call me on +44 7700 900123"},
        )
    )
    assert (approved["status"], approved["decided_by"]) == ("approved", "anonymous")
    assert "7700" not in approved["reason"]  # scrubbed like every note
    assert [s["kind"] for s in approved["steps"]] == ["requested", "approved", "released"]
    assert approved["released_decision_id"] == f"{decision['decision_id']}.released"
    assert approved["released_action"] == decision["action"]

    released = _ok(client.get(f"/v1/decisions/{approved['released_decision_id']}"))
    assert released["released_from"]["approval_id"] == approval_id
    assert released["released_from"]["verdict"] == "approved"
    assert released["chosen"]["call"] == decision["action"]
    assert released["chosen"]["outcome"] == "allow"
    assert released["approval_required"] is False
    assert released["rationale"].startswith("Approved by anonymous")
    assert "still permit it" in released["rationale"]
    # the original is never changed
    original = _ok(client.get(f"/v1/decisions/{decision['decision_id']}"))
    assert original["chosen"]["call"] == decision["action"]
    assert original["approval_required"] is True
    assert original["approval"]["status"] == "approved"

    # the same verdict again is a replay; another verdict is refused, naming the first
    again = client.post(f"/v1/approvals/{approval_id}/approve", json={"reason": "again"})
    assert _ok(again)["steps"] == approved["steps"]
    refused = client.post(f"/v1/approvals/{approval_id}/reject", json={"reason": "no"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "approval_closed"
    assert "already approved (by anonymous" in refused.json()["error"]["message"]


def test_reject_releases_the_next_permitted_alternative(client: TestClient) -> None:
    decision = request_approval(client)
    rejected = _ok(
        client.post(
            f"/v1/approvals/{decision['approval_id']}/reject",
            json={"reason": "Credit already given on this claim"},
        )
    )
    assert rejected["status"] == "rejected"
    released = _ok(client.get(f"/v1/decisions/{rejected['released_decision_id']}"))
    assert decision["alternatives"][0]["type"] == "schedule_callback"
    assert released["chosen"]["call"]["type"] == "schedule_callback"
    assert released["safe_default"] is False
    assert "next permitted alternative" in released["rationale"]


def test_a_cap_filled_while_waiting_moves_the_release_on(client: TestClient) -> None:
    """Rejected: the callback would be next, but two calls went out meanwhile and filled the
    phone cap; the guards, run again, refuse it, the next permitted alternative goes out,
    and the record says why."""
    decision = request_approval(client)
    customer_id = decision["customer_id"]
    calls = [
        {
            "id": f"dialler-{n}",
            "ts": (demo_now() - timedelta(hours=n + 1)).isoformat(),
            "channel": "phone",
            "type": "call_made",
            "properties": {"purpose": "service"},
        }
        for n in range(2)
    ]
    _ok(client.post(f"/v1/customers/{customer_id}/events", json={"events": calls}), 202)
    rejected = _ok(
        client.post(f"/v1/approvals/{decision['approval_id']}/reject", json={"reason": "no"})
    )
    released = _ok(client.get(f"/v1/decisions/{rejected['released_decision_id']}"))
    assert released["chosen"]["call"]["type"] not in ("apply_goodwill_credit", "schedule_callback")
    callback = next(p for p in released["proposals"] if p["call"]["type"] == "schedule_callback")
    assert callback["evaluation"]["outcome"] == "deny"
    assert "frequency_cap" in released["rationale"]


def test_an_approved_action_the_guards_now_refuse_is_not_released(client: TestClient) -> None:
    """The customer's billing moved to EUR while the GBP credit waited: approved, it is
    refused at release, and an alternative goes out instead."""
    decision = request_approval(client)
    customer_id = decision["customer_id"]
    profile = _ok(client.get(f"/v1/customers/{customer_id}"))
    _ok(client.put(f"/v1/customers/{customer_id}", json=profile | {"currency": "EUR"}))
    approved = _ok(
        client.post(f"/v1/approvals/{decision['approval_id']}/approve", json={"reason": "ok"})
    )
    assert approved["status"] == "approved"
    assert approved["released_action"]["type"] != "apply_goodwill_credit"
    released = _ok(client.get(f"/v1/decisions/{approved['released_decision_id']}"))
    assert released["proposals"][0]["evaluation"]["outcome"] == "deny"
    assert "billed in EUR" in released["rationale"]
    assert "next permitted alternative" in released["rationale"]


def test_an_unanswered_approval_expires_and_the_safe_default_goes_out(
    client: TestClient, decider: Decider, clock: Clock
) -> None:
    decision = request_approval(client)
    approval_id = decision["approval_id"]
    start = clock.now
    try:
        clock.now = start + timedelta(hours=4, minutes=1)
        report = asyncio.run(decider.approvals.sweep())
        assert report.expired >= 1
    finally:
        clock.now = start
    expired = _ok(client.get(f"/v1/approvals/{approval_id}"))
    assert (expired["status"], expired["decided_by"]) == ("expired", "system")
    released = _ok(client.get(f"/v1/decisions/{expired['released_decision_id']}"))
    assert released["safe_default"] is True
    assert released["released_from"]["verdict"] == "expired"
    late = client.post(f"/v1/approvals/{approval_id}/approve", json={"reason": "sorry, late"})
    assert late.status_code == 409
    assert "already expired" in late.json()["error"]["message"]


def test_a_verdict_after_the_time_ran_out_expires_it_first(
    client: TestClient, clock: Clock
) -> None:
    decision = request_approval(client)
    start = clock.now
    try:
        clock.now = start + timedelta(hours=5)
        late = client.post(
            f"/v1/approvals/{decision['approval_id']}/approve", json={"reason": "late"}
        )
    finally:
        clock.now = start
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "approval_closed"
    approval = _ok(client.get(f"/v1/approvals/{decision['approval_id']}"))
    assert approval["status"] == "expired"
    assert approval["released_decision_id"] is not None


def test_the_list_filters_and_pages(client: TestClient, clock: Clock) -> None:
    first = request_approval(client)
    clock.now += timedelta(minutes=1)
    second = request_approval(client)
    pending = _ok(client.get("/v1/approvals", params={"status": "pending", "limit": 200}))
    ids = [a["approval_id"] for a in pending["items"]]
    assert ids.index(first["approval_id"]) < ids.index(second["approval_id"])  # oldest first
    mine = _ok(client.get("/v1/approvals", params={"customer_id": second["customer_id"]}))
    assert [a["approval_id"] for a in mine["items"]] == [second["approval_id"]]
    page = _ok(client.get("/v1/approvals", params={"status": "pending", "limit": 1}))
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    following = _ok(
        client.get(
            "/v1/approvals",
            params={"status": "pending", "limit": 1, "cursor": page["next_cursor"]},
        )
    )
    assert following["items"][0]["approval_id"] != page["items"][0]["approval_id"]
    wrong = client.get(
        "/v1/approvals", params={"status": "approved", "cursor": page["next_cursor"]}
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/v1/approvals/apr_01NOPE/approve", {"reason": "x"}, 404, "approval_id"),
        ("/v1/approvals/dec_01NOPE/approve", {"reason": "x"}, 422, "path.approval_id"),
        ("/v1/approvals/apr_01NOPE/approve", {}, 422, "body.reason"),
        ("/v1/approvals/apr_01NOPE/reject", {"reason": ""}, 422, "body.reason"),
        ("/v1/approvals/apr_01NOPE/reject", {"reason": "x", "extra": 1}, 422, "body.extra"),
    ],
)
def test_bad_verdicts_are_refused_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert field in (error.get("field"), *(f["path"] for f in error.get("fields", [])))


def test_bad_list_queries_are_422(client: TestClient) -> None:
    response = client.get("/v1/approvals", params={"status": "waiting"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "query.status"
    assert client.get("/v1/approvals/apr_01NOPE").json()["error"]["code"] == "approval_not_found"


def test_erasure_cancels_pending_approvals_and_seals_them(client: TestClient) -> None:
    decision = request_approval(client)
    approval_id, customer_id = decision["approval_id"], decision["customer_id"]
    receipt = _ok(client.delete(f"/v1/customers/{customer_id}"))
    assert "pending approvals cancelled (1)" in receipt["derived_removed"]
    gone = client.get(f"/v1/approvals/{approval_id}")
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "approval_erased")
    refused = client.post(f"/v1/approvals/{approval_id}/approve", json={"reason": "x"})
    assert refused.status_code == 410
    listed = _ok(client.get("/v1/approvals", params={"customer_id": customer_id}))
    assert listed["items"] == []
    verify = _ok(client.get("/v1/audit/verify"))
    assert verify["ok"] is True


def test_every_step_is_in_the_hash_chain(client: TestClient, decider: Decider) -> None:
    decision = request_approval(client)
    _ok(client.post(f"/v1/approvals/{decision['approval_id']}/approve", json={"reason": "ok"}))
    conn = decider.deps.approvals._db.connection()  # type: ignore[attr-defined]
    chained = {
        key
        for (key,) in conn.execute(
            "SELECT ref FROM chain WHERE kind = 'approvals' AND ref LIKE ?",
            (f"{decision['approval_id']}/%",),
        )
    }
    assert chained == {f"{decision['approval_id']}/{n}" for n in (0, 1, 2)}
    assert _ok(client.get("/v1/audit/verify"))["ok"] is True

"""Contact accounting through HTTP, with a clock the tests move: executed contacts count,
recommendations hold a reservation that expires, briefings reserve nothing, and contacts other
systems report as events count too."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.demo import demo_now, seed
from agent.service import Decider
from api.app import create_app
from api.settings import Settings


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(demo_now())


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path)
    decider = Decider.build(settings.to_agent_config(), clock=clock)
    asyncio.run(seed(decider, clock.now))
    with TestClient(create_app(settings, decider=decider)) as test_client:
        yield test_client
    decider.close()


CART = {"customer_id": "c05_ralmeida"}  # outbound: a marketing email, 3 per 7 days


def _decide(client: TestClient, body: dict[str, Any], route: str = "/v1/decide") -> Any:
    response = client.post(route, json=body)
    assert response.status_code == 200, response.text
    decision_id = response.json()["decision_id"]
    return client.get(f"/v1/decisions/{decision_id}").json()


def _email_denials(record: dict[str, Any]) -> list[str]:
    return [
        v["message"]
        for p in record["proposals"]
        for v in p["evaluation"]["verdicts"]
        if v["reason_code"] == "contact_cap_reached" and p["call"]["args"].get("channel") == "email"
    ]


def _chose_email(record: dict[str, Any]) -> bool:
    call = record["chosen"]["call"]
    return bool(call["type"] == "send_message" and call["args"]["channel"] == "email")


def test_recommendations_reserve_until_the_ttl_then_only_executed_ones_count(
    client: TestClient, clock: Clock
) -> None:
    firsts = []
    for _ in range(3):
        record = _decide(client, CART)
        assert _chose_email(record)
        firsts.append(record["decision_id"])
        clock.advance(minutes=1)
    fourth = _decide(client, CART)
    assert not _chose_email(fourth)
    assert _email_denials(fourth) == ["3 email contacts in the last 7 days (cap 3)"]
    counted = fourth["accounting"]["contacts"]
    assert [(c["ref"], c["status"], c["source"]) for c in counted] == [
        (decision_id, "reserved", "decision") for decision_id in firsts
    ]

    clock.advance(minutes=15)  # the reservations lapse: nothing was reported
    assert client.get(f"/v1/decisions/{firsts[0]}").json()["lifecycle"]["state"] == "expired"
    fifth = _decide(client, CART)
    assert _chose_email(fifth)
    assert fifth["accounting"]["contacts"] == []

    for decision_id in firsts:  # reported late: executed contacts count for the whole window
        report = {"id": f"esp-{decision_id}", "type": "executed"}
        response = client.post(f"/v1/decisions/{decision_id}/outcomes", json=report)
        assert response.status_code == 201
    clock.advance(days=2)
    sixth = _decide(client, CART)
    assert not _chose_email(sixth)
    assert [c["status"] for c in sixth["accounting"]["contacts"]] == ["executed"] * 3


def test_a_declined_recommendation_frees_its_contact_at_once(
    client: TestClient, clock: Clock
) -> None:
    for n in range(3):
        record = _decide(client, CART)
        report = {"id": f"no-{n}", "type": "declined", "note": "campaign paused"}
        client.post(f"/v1/decisions/{record['decision_id']}/outcomes", json=report)
        clock.advance(minutes=1)
    assert _chose_email(_decide(client, CART))


def test_contacts_other_systems_report_count(client: TestClient, clock: Clock) -> None:
    sent = [
        {
            "id": f"esp-{n}",
            "ts": (clock.now - timedelta(days=n + 1)).isoformat(),
            "channel": "email",
            "type": "message_sent",
            "properties": {"template_id": "weekly_picks", "purpose": "marketing"},
        }
        for n in range(3)
    ]
    receipt = {
        "id": "esp-receipt",
        "ts": (clock.now - timedelta(hours=1)).isoformat(),
        "channel": "email",
        "type": "message_sent",
        "properties": {"template_id": "order_confirmation", "transactional": True},
    }
    response = client.post("/v1/customers/c05_ralmeida/events", json={"events": [*sent, receipt]})
    assert response.status_code == 202

    record = _decide(client, CART)
    assert not _chose_email(record)
    assert _email_denials(record) == ["3 email contacts in the last 7 days (cap 3)"]
    assert sorted(
        (c["source"], c["ref"], c["purpose"]) for c in record["accounting"]["contacts"]
    ) == [("event", f"esp-{n}", "marketing") for n in range(3)]


def test_an_event_that_names_the_decision_is_its_execution_counted_once(
    client: TestClient, clock: Clock
) -> None:
    first = _decide(client, CART)
    event = {
        "id": "esp-77",
        "ts": clock.now.isoformat(),
        "channel": "email",
        "type": "message_sent",
        "properties": {"template_id": "cart_reminder_email", "decision_id": first["decision_id"]},
    }
    client.post("/v1/customers/c05_ralmeida/events", json={"events": [event]})
    clock.advance(hours=1)
    assert (
        client.get(f"/v1/decisions/{first['decision_id']}").json()["lifecycle"]["state"]
        == "executed"
    )
    later = _decide(client, CART)
    assert [(c["ref"], c["status"]) for c in later["accounting"]["contacts"]] == [
        (first["decision_id"], "executed")
    ]


def test_briefings_are_previews_that_reserve_nothing(client: TestClient, clock: Clock) -> None:
    """Two briefing previews for c03 used to spend the phone cap and block the callback."""
    call = {
        "customer_id": "c03_smurphy",
        "context": {"direction": "inbound", "channel": "phone", "reason": "claim stuck"},
    }
    for _ in range(3):
        briefing = _decide(client, call, route="/v1/briefings")
        assert briefing["chosen"]["call"]["type"] == "schedule_callback"
        counted = briefing["accounting"]["contacts"]
        assert [c["source"] for c in counted] == ["event"]  # the claim ack e-mail, not a briefing
        clock.advance(minutes=1)

    decided = [_decide(client, call) for _ in range(3)]
    assert [d["chosen"]["call"]["type"] for d in decided[:2]] == ["schedule_callback"] * 2
    assert decided[2]["chosen"]["call"]["type"] != "schedule_callback"  # two reserved: cap 2


DAMAGED = {  # an inbound chat about a damaged parcel: the decision opens a delivery case
    "customer_id": "c17_gbianchi",
    "context": {
        "channel": "chat",
        "direction": "inbound",
        "reason": "Il pacco è arrivato danneggiato e sei piatti sono rotti",
    },
}


def _case_event(clock: Clock, event_id: str, kind: str, **properties: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "ts": clock.now.isoformat(),
        "channel": "web",
        "type": kind,
        "properties": properties,
    }


def test_a_case_our_decision_opened_is_updated_until_it_is_closed(
    client: TestClient, clock: Clock
) -> None:
    first = _decide(client, DAMAGED)["chosen"]["call"]
    assert first["type"] == "open_case"
    case_type = first["args"]["case_type"]
    # The second decision, a minute after the first, sees the first's case as reserved.
    clock.advance(minutes=1)
    record = _decide(client, DAMAGED)
    assert record["chosen"]["call"]["type"] == "update_case"
    opened_by = record["chosen"]["call"]["args"]["case_id"]
    (case,) = record["accounting"]["open_cases"]
    assert (case["case_id"], case["case_type"], case["source"], case["status"]) == (
        opened_by,
        case_type,
        "decision",
        "reserved",
    )

    # The case system reports the case it opened for that decision, under its own id.
    opened = _case_event(
        clock,
        "cs-open-1",
        "case_opened",
        case_id="CS-4471",
        case_type=case_type,
        decision_id=opened_by,
    )
    assert (
        client.post("/v1/customers/c17_gbianchi/events", json={"events": [opened]}).status_code
        == 202
    )
    clock.advance(hours=1)  # past the reservation: the case counts because it was opened
    record = _decide(client, DAMAGED)
    call = record["chosen"]["call"]
    assert (call["type"], call["args"]["case_id"]) == ("update_case", "CS-4471")
    (trace,) = (
        p for p in record["proposals"] if p["proposal_id"] == record["chosen"]["proposal_id"]
    )
    assert trace["rationale"].endswith("not a second case")

    closed = _case_event(clock, "cs-close-1", "case_closed", case_id="CS-4471")
    client.post("/v1/customers/c17_gbianchi/events", json={"events": [closed]})
    clock.advance(minutes=1)
    assert _decide(client, DAMAGED)["chosen"]["call"]["type"] == "open_case"


def test_an_unreported_case_stops_counting_when_its_reservation_ends(
    client: TestClient, clock: Clock
) -> None:
    assert _decide(client, DAMAGED)["chosen"]["call"]["type"] == "open_case"
    clock.advance(minutes=1)
    assert _decide(client, DAMAGED)["chosen"]["call"]["type"] == "update_case"
    clock.advance(hours=1)  # nobody said the case was opened: the reservations have expired
    assert _decide(client, DAMAGED)["chosen"]["call"]["type"] == "open_case"

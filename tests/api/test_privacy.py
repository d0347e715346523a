"""Privacy by default through HTTP: what a stored decision keeps of a person, what the agent
sees, and erasure."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.demo import demo_now
from agent.service import Decider
from api.app import create_app
from api.settings import Settings

CARD = "4111 1111 1111 1111"
CHAT: dict[str, Any] = {
    "customer_id": "c13_amehta",
    "events": [
        {
            "id": "chat-card-1",
            "ts": demo_now().isoformat(),
            "channel": "chat",
            "type": "chat_message",
            "text": f"You charged my card {CARD} twice! Write to me at arjun@private.example",
        }
    ],
    "context": {"direction": "inbound", "channel": "chat", "reason": f"double charge on {CARD}"},
}


def test_a_card_number_typed_into_a_chat_goes_nowhere(client: TestClient) -> None:
    markdown = client.post("/v1/briefings", params={"format": "markdown"}, json=CHAT).text
    assert "4111" not in markdown
    assert "arjun@private.example" not in markdown
    briefing = client.post("/v1/briefings", json=CHAT).json()
    assert "Arjun Mehta" in briefing["markdown"]  # the agent sees who it is talking to
    stored = client.get(f"/v1/decisions/{briefing['decision_id']}").json()
    text = json.dumps(stored)
    for raw in ("4111", "arjun@private.example", "Arjun", "Mehta", "arjun.mehta@example.nl"):
        assert raw not in text, raw
    assert stored["profile"]["name"].startswith("tok_")
    assert any(path.startswith("stored:briefing") for path in stored["redactions"])


def test_the_stored_decision_is_sealed_in_the_file(client: TestClient, data_dir: Path) -> None:
    decided = client.post("/v1/decide", json=CHAT).json()
    database = (data_dir / "nextbest.db").read_bytes()
    wal = data_dir / "nextbest.db-wal"
    contents = database + (wal.read_bytes() if wal.exists() else b"")
    assert decided["decision_id"].encode() in contents  # the row is there
    assert b"double charge on" not in contents  # the reason travels sealed
    for name in ("nextbest.db", "secret.key"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path)
    now = demo_now()
    decider = Decider.build(settings.to_agent_config(), clock=lambda: now)
    with TestClient(create_app(settings, decider=decider)) as client:
        yield client
    decider.close()


def test_erasure_forgets_the_customer_and_keeps_the_log_whole(admin: TestClient) -> None:
    profile = {
        "customer_id": "cus_forget",
        "name": "Frida Gone",
        "identities": [{"kind": "email", "value": "frida@example.com"}],
    }
    assert admin.put("/v1/customers/cus_forget", json=profile).status_code == 201
    event = {"id": "e1", "ts": demo_now().isoformat(), "channel": "web", "type": "search"}
    admin.post("/v1/customers/cus_forget/events", json={"events": [event]})
    decided = [
        admin.post("/v1/decide", json={"customer_id": "cus_forget"}).json()["decision_id"]
        for _ in range(2)
    ]

    erased = admin.delete("/v1/customers/cus_forget")
    assert erased.status_code == 200, erased.text
    receipt = erased.json()
    assert receipt["receipt_id"].startswith("era_")
    assert receipt["customer_token"].startswith("tok_")
    assert (receipt["profile_deleted"], receipt["events_deleted"], receipt["records_sealed"]) == (
        True,
        1,
        2,
    )
    assert "cus_forget" not in json.dumps(receipt)
    assert "Frida" not in json.dumps(receipt)

    assert admin.get("/v1/customers/cus_forget").status_code == 404
    gone = admin.get(f"/v1/decisions/{decided[0]}")
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "decision_erased"
    listed = admin.get("/v1/decisions", params={"customer_id": "cus_forget"}).json()["items"]
    assert {i["decision_id"] for i in listed} == set(decided)
    assert all(i["erased"] for i in listed)
    again = admin.delete("/v1/customers/cus_forget")
    assert again.status_code == 404
    assert admin.delete("/v1/customers/cus_never_known").status_code == 404

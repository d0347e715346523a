"""A decision that waits for approval: a platinum copy of the demo's delayed-claim customer,
whose goodwill credit of 60 (playbook claim-delay-loyal-goodwill) is above the automatic 25."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

from agent.demo import demo_now, load_demo_customers

_IDS = itertools.count()


def request_approval(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Store a fresh loyal customer with a delayed claim, decide, and return the decision
    (its ``approval_id`` set)."""
    [smurphy] = [
        c for c in load_demo_customers(demo_now()) if c.profile.customer_id == "c03_smurphy"
    ]
    customer_id = f"c03_loyal_{next(_IDS)}"
    profile = smurphy.profile.model_dump(mode="json") | {
        "customer_id": customer_id,
        "tier": "platinum",
    }
    stored = client.put(f"/v1/customers/{customer_id}", json=profile, headers=headers)
    assert stored.status_code == 201, stored.text
    events = [e.model_dump(mode="json") for e in smurphy.events]
    added = client.post(
        f"/v1/customers/{customer_id}/events", json={"events": events}, headers=headers
    )
    assert added.status_code == 202, added.text
    context = smurphy.context.model_dump(mode="json", exclude_none=True)
    decided = client.post(
        "/v1/decide", json={"customer_id": customer_id, "context": context}, headers=headers
    )
    assert decided.status_code == 200, decided.text
    decision = decided.json()
    assert decision["approval_id"], decision["action"]
    return dict(decision)

"""Who may call what: the role-by-route matrix for every /v1 route (401 without a key, 403 with
the wrong role, 2xx with the right one), callers recorded by name, rate limits, inline profiles
posing as stored customers, and the security headers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.service import Decider
from api.app import create_app
from api.auth import ACCESS
from api.keys import Role
from api.settings import Settings
from tests.api.loyal_claim import request_approval

KEYS = {role: f"{role.value}-key-0123456789abcdef" for role in Role}
NAMES = {role: f"the-{role.value}" for role in Role}


def _auth(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


@pytest.fixture(scope="module")
def secured(decider: Decider, data_dir: Path) -> Iterator[TestClient]:
    keys = [{"name": NAMES[r], "role": r.value, "key": KEYS[r]} for r in Role]
    keys.append(
        {"name": "cdp", "role": "decider", "key": "cdp-0123456789abcdef", "override_profiles": True}
    )
    settings = Settings(data_dir=data_dir, api_keys=keys, rate_limit_per_s=0)
    with TestClient(create_app(settings, decider=decider)) as client:
        yield client


@pytest.fixture(scope="module")
def decision_id(secured: TestClient) -> str:
    response = secured.post(
        "/v1/decide", json={"customer_id": "c06_lmartin"}, headers=_auth(Role.DECIDER)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["decision_id"])


Call = Callable[[TestClient, str, dict[str, str]], Any]
OUTCOME_IDS = iter(range(10_000))


def _outcome(decision_id: str) -> dict[str, Any]:
    """A conversion: the one report that may come again and again for a decision."""
    value = {"amount": "1.00", "currency": "EUR"}
    return {"id": f"o-{next(OUTCOME_IDS)}", "type": "converted", "value": value}


ERASABLE = iter(range(10_000))


def _erasable(client: TestClient, headers: dict[str, str]) -> Any:
    customer_id = f"cus_erase_{next(ERASABLE)}"
    stored = client.put(
        f"/v1/customers/{customer_id}",
        json={"customer_id": customer_id},
        headers=_auth(Role.ADMIN),
    )
    assert stored.status_code == 201, stored.text
    return client.delete(f"/v1/customers/{customer_id}", headers=headers)


def _approval(client: TestClient) -> str:
    """A fresh approval, pending (each verdict needs its own)."""
    return str(request_approval(client, _auth(Role.ADMIN))["approval_id"])


ROLES_PLAYBOOK = {
    "name": "roles-help.md",
    "text": "---\nid: roles-help\nversion: 1\ntitle: Roles test playbook\njourney: general\n"
    "intents: [other]\nowner: qa@northwind.example\nactions:\n  - type: no_action\n"
    "    args: {reason: test}\n---\nBody.\n",
}
"""Ingested again and again: the first time added, then unchanged."""

CALLS: dict[tuple[str, str], Call] = {
    ("POST", "/v1/decide"): lambda c, d, h: c.post(
        "/v1/decide", json={"customer_id": "c09_athompson"}, headers=h
    ),
    ("POST", "/v1/briefings"): lambda c, d, h: c.post(
        "/v1/briefings", json={"customer_id": "c13_amehta"}, headers=h
    ),
    ("GET", "/v1/decisions"): lambda c, d, h: c.get("/v1/decisions", headers=h),
    ("GET", "/v1/decisions/{decision_id}"): lambda c, d, h: c.get(f"/v1/decisions/{d}", headers=h),
    ("POST", "/v1/decisions/{decision_id}/outcomes"): lambda c, d, h: c.post(
        f"/v1/decisions/{d}/outcomes", json=_outcome(d), headers=h
    ),
    ("POST", "/v1/outcomes"): lambda c, d, h: c.post(
        "/v1/outcomes", json={"outcomes": [{"decision_id": d, **_outcome(d)}]}, headers=h
    ),
    ("GET", "/v1/kpis"): lambda c, d, h: c.get("/v1/kpis", headers=h),
    ("GET", "/v1/customers"): lambda c, d, h: c.get("/v1/customers", headers=h),
    ("GET", "/v1/customers/{customer_id}"): lambda c, d, h: c.get(
        "/v1/customers/c13_amehta", headers=h
    ),
    ("PUT", "/v1/customers/{customer_id}"): lambda c, d, h: c.put(
        "/v1/customers/cus_roles", json={"customer_id": "cus_roles"}, headers=h
    ),
    ("POST", "/v1/customers/{customer_id}/events"): lambda c, d, h: c.post(
        "/v1/customers/c13_amehta/events",
        json={
            "events": [
                {"id": "roles-1", "ts": "2026-11-20T10:00:00Z", "channel": "web", "type": "search"}
            ]
        },
        headers=h,
    ),
    ("GET", "/v1/playbooks"): lambda c, d, h: c.get("/v1/playbooks", headers=h),
    ("POST", "/v1/playbooks"): lambda c, d, h: c.post(
        "/v1/playbooks", json={"files": [ROLES_PLAYBOOK]}, headers=h
    ),
    ("POST", "/v1/decisions/{decision_id}/reviews"): lambda c, d, h: c.post(
        f"/v1/decisions/{d}/reviews", json={"verdict": "good"}, headers=h
    ),
    ("GET", "/v1/reviews"): lambda c, d, h: c.get("/v1/reviews", headers=h),
    ("GET", "/v1/audit/verify"): lambda c, d, h: c.get("/v1/audit/verify", headers=h),
    ("GET", "/v1/audit/checkpoint"): lambda c, d, h: c.get("/v1/audit/checkpoint", headers=h),
    ("DELETE", "/v1/customers/{customer_id}"): lambda c, d, h: _erasable(c, h),
    ("GET", "/v1/approvals"): lambda c, d, h: c.get("/v1/approvals", headers=h),
    ("GET", "/v1/approvals/{approval_id}"): lambda c, d, h: c.get(
        f"/v1/approvals/{_approval(c)}", headers=h
    ),
    ("POST", "/v1/approvals/{approval_id}/approve"): lambda c, d, h: c.post(
        f"/v1/approvals/{_approval(c)}/approve", json={"reason": "ok"}, headers=h
    ),
    ("POST", "/v1/approvals/{approval_id}/reject"): lambda c, d, h: c.post(
        f"/v1/approvals/{_approval(c)}/reject", json={"reason": "no"}, headers=h
    ),
}
"""A valid request per route, so that the right role gets a 2xx."""

MATRIX = [
    pytest.param(method, path, role, role in allowed, id=f"{method} {path} as {role.value}")
    for (method, path), allowed in sorted(ACCESS.items())
    for role in Role
]


def test_every_v1_route_is_in_the_access_table_and_has_a_call(secured: TestClient) -> None:
    spec = secured.get("/openapi.json").json()
    routes = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith("/v1")
        for method in operations
    }
    assert routes == set(ACCESS)
    assert set(CALLS) == set(ACCESS)


@pytest.mark.parametrize(("method", "path"), sorted(ACCESS))
def test_no_key_is_401(secured: TestClient, decision_id: str, method: str, path: str) -> None:
    response = CALLS[(method, path)](secured, decision_id, {})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "role", "allowed"), MATRIX)
def test_the_role_decides(
    secured: TestClient, decision_id: str, method: str, path: str, role: Role, allowed: bool
) -> None:
    response = CALLS[(method, path)](secured, decision_id, _auth(role))
    if allowed:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert f"role {role.value!r} ({NAMES[role]})" in error["message"]


def test_the_callers_name_is_recorded(secured: TestClient) -> None:
    decided = secured.post(
        "/v1/decide", json={"customer_id": "c05_ralmeida"}, headers=_auth(Role.DECIDER)
    ).json()
    reported = secured.post(
        f"/v1/decisions/{decided['decision_id']}/outcomes",
        json={"id": "who-1", "type": "executed"},
        headers=_auth(Role.AGENT),
    ).json()
    assert reported["outcome"]["caller"] == "the-agent"
    record = secured.get(
        f"/v1/decisions/{decided['decision_id']}", headers=_auth(Role.REVIEWER)
    ).json()
    assert record["caller"] == "the-decider"


def test_an_inline_profile_may_not_pose_as_a_stored_customer(secured: TestClient) -> None:
    posing = {
        "profile": {
            "customer_id": "c13_amehta",
            "consents": [{"channel": "sms", "purpose": "marketing", "granted": True}],
        }
    }
    refused = secured.post("/v1/decide", json=posing, headers=_auth(Role.DECIDER))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "profile_conflict"
    assert refused.json()["error"]["field"] == "profile.customer_id"
    allowed = secured.post(
        "/v1/decide", json=posing, headers={"Authorization": "Bearer cdp-0123456789abcdef"}
    )
    assert allowed.status_code == 200, allowed.text
    inline = {"profile": {"customer_id": "ext-not-stored"}}
    assert secured.post("/v1/decide", json=inline, headers=_auth(Role.DECIDER)).status_code == 200


def test_the_rate_limit_is_per_key_with_retry_after(decider: Decider, data_dir: Path) -> None:
    keys = [{"name": "crm", "role": "reviewer", "key": KEYS[Role.REVIEWER]}]
    settings = Settings(data_dir=data_dir, api_keys=keys, rate_limit_per_s=0.5, rate_limit_burst=3)
    with TestClient(create_app(settings, decider=decider)) as client:
        statuses = [
            client.get("/v1/playbooks", headers=_auth(Role.REVIEWER)).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/v1/playbooks", headers=_auth(Role.REVIEWER))
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_security_headers_on_every_response(secured: TestClient) -> None:
    for response in (
        secured.get("/healthz"),
        secured.get("/v1/decisions"),  # a 401
        secured.get("/v1/kpis", headers=_auth(Role.REVIEWER)),
    ):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    docs = secured.get("/docs")
    assert docs.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in docs.headers  # its scripts must load

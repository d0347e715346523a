"""The approval desk under the service: a paused approval survives a restart (the graph's
checkpoint), a failed release and a crash before the approval was opened are finished by the
sweep, and the webhook reports each release, signed and retried."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from agent.approvals import Approval
from agent.approvals.desk import ApprovalDesk
from agent.approvals.graph import ApprovalGraph
from agent.approvals.webhook import SIGNATURE_HEADER, WebhookError, WebhookSender
from agent.demo import demo_now, load_demo_customers, seed
from agent.profile import Tier
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider
from api.settings import Settings

NOW = demo_now()
_IDS = itertools.count()
HOOK = "https://hooks.example.com/nextbest"
SECRET = b"0123456789abcdef0123"


def _build(data_dir: Path, database_url: str | None = None) -> Decider:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    return Decider.build(settings.to_agent_config(), clock=lambda: NOW)


@pytest.fixture
def decider(tmp_path: Path) -> Iterator[Decider]:
    built = _build(tmp_path)
    asyncio.run(seed(built, NOW))
    yield built
    built.close()


async def _decided(decider: Decider) -> DecisionRecordV1:
    """A loyal customer's delayed claim, decided: the goodwill credit of 60 needs approval."""
    [smurphy] = [c for c in load_demo_customers(NOW) if c.profile.customer_id == "c03_smurphy"]
    customer_id = f"c03_desk_{next(_IDS)}"
    profile = smurphy.profile.model_copy(update={"customer_id": customer_id, "tier": Tier.PLATINUM})
    await decider.put_customer(profile)
    await decider.add_events(customer_id, smurphy.events)
    request = DecideRequest(customer_id=customer_id, context=smurphy.context)
    return (await decider.decide(request)).record


async def _waiting(decider: Decider) -> DecisionRecordV1:
    """The same, its approval opened and waiting."""
    record = await _decided(decider)
    assert record.approval_id is not None, record.chosen
    return record


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_paused_approval_survives_a_restart(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """On SQLite the thread waits in approvals.db; on PostgreSQL, beside the stores."""
    url = str(request.getfixturevalue("pg_url")) if backend == "postgres" else None
    first = _build(tmp_path, url)
    asyncio.run(seed(first, NOW))
    record = asyncio.run(_waiting(first))
    approval_id = record.approval_id
    assert approval_id is not None
    first.close()

    graph = ApprovalGraph(url or tmp_path / "approvals.db")  # what a new process finds
    try:
        assert graph.waiting(approval_id)
    finally:
        graph.close()

    second = _build(tmp_path, url)
    try:
        approved = asyncio.run(
            second.approvals.decide(approval_id, "approved", reason="ok", actor="lead")
        )
        assert approved.released_decision_id == f"{record.decision_id}.released"
        released = asyncio.run(second.get_decision(approved.released_decision_id))
        assert released.released_from is not None
        assert released.released_from.verdict == "approved"
    finally:
        second.close()


def test_a_failed_release_is_finished_by_the_sweep(
    decider: Decider, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = asyncio.run(_waiting(decider))
    assert record.approval_id is not None

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the decision log is down")

    monkeypatch.setattr("agent.approvals.desk.build_release", broken)
    approval = asyncio.run(
        decider.approvals.decide(record.approval_id, "rejected", reason="no", actor="lead")
    )
    assert (approval.status, approval.released_decision_id) == ("rejected", None)
    monkeypatch.undo()

    report = asyncio.run(decider.approvals.sweep())
    assert report.released == 1
    finished = asyncio.run(decider.approvals.get(record.approval_id))
    assert [s.kind for s in finished.steps] == ["requested", "rejected", "released"]
    assert asyncio.run(decider.approvals.sweep()).released == 0  # nothing left to do


def test_a_decision_stored_without_its_approval_is_opened_by_the_sweep(
    decider: Decider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_: Any, **__: Any) -> None:
        raise RuntimeError("killed between the two writes")

    monkeypatch.setattr(ApprovalDesk, "open", crash)
    record = asyncio.run(_decided(decider))
    monkeypatch.undo()
    assert record.approval_id is not None
    assert asyncio.run(decider.approvals.of_decision(record.decision_id)) is None

    assert asyncio.run(decider.approvals.sweep()).opened == 1
    approval = asyncio.run(decider.approvals.get(record.approval_id))
    assert approval.status == "pending"


def _released(decider: Decider) -> Approval:
    record = asyncio.run(_waiting(decider))
    assert record.approval_id is not None
    return asyncio.run(
        decider.approvals.decide(record.approval_id, "approved", reason="ok", actor="lead")
    )


def _sender(client: httpx.AsyncClient) -> WebhookSender:
    return WebhookSender(HOOK, SECRET, client, clock=lambda: NOW, attempts=3, backoff_s=0)


def _verify(request: httpx.Request) -> dict[str, Any]:
    """What a receiver does: recompute the signature over ``<t>.<body>``."""
    fields = dict(part.split("=", 1) for part in request.headers[SIGNATURE_HEADER].split(","))
    expected = hmac.new(
        SECRET, f"{fields['t']}.".encode() + request.content, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    assert int(fields["t"]) == int(NOW.timestamp())
    return dict(json.loads(request.content))


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[Decider]:
    """A service with the webhook configured."""
    settings = Settings(
        data_dir=tmp_path, approval_webhook_url=HOOK, approval_webhook_secret=SECRET.decode()
    )
    built = Decider.build(settings.to_agent_config(), clock=lambda: NOW)
    asyncio.run(seed(built, NOW))
    yield built
    built.close()


def _deliver(decider: Decider) -> int:
    async def deliver() -> int:
        async with httpx.AsyncClient() as client:
            return await decider.approvals.deliver(_sender(client))

    return asyncio.run(deliver())


def test_the_webhook_reports_each_release_signed_and_retried(hooked: Decider) -> None:
    approval = _released(hooked)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK).mock(
            side_effect=[httpx.Response(503), httpx.ConnectError("reset"), httpx.Response(200)]
        )
        assert _deliver(hooked) == 1
    assert route.call_count == 3
    sent = route.calls.last.request
    assert sent.headers["Idempotency-Key"] == approval.approval_id
    body = _verify(sent)
    assert body["event"] == "approval.released"
    assert body["released_decision_id"] == approval.released_decision_id
    assert body["released_action"]["type"] == "apply_goodwill_credit"
    with respx.mock(assert_all_called=False) as mock:
        again = mock.post(HOOK).mock(return_value=httpx.Response(200))
        assert _deliver(hooked) == 0  # delivered once, not again
    assert again.call_count == 0


def test_a_refused_delivery_is_not_retried_at_once_and_kept_for_later(hooked: Decider) -> None:
    approval = _released(hooked)
    with respx.mock() as mock:
        route = mock.post(HOOK).mock(return_value=httpx.Response(400))
        assert _deliver(hooked) == 0
    assert route.call_count == 1  # a final answer: no retry
    [pending] = hooked.deps.approvals.undelivered()
    assert (pending.approval_id, pending.attempts) == (approval.approval_id, 1)


def test_a_sender_raises_when_the_receiver_stays_down() -> None:
    async def send() -> None:
        async with httpx.AsyncClient() as client:
            approval = Approval.model_validate(_approval_json())
            await _sender(client).send(approval)

    with respx.mock() as mock:
        route = mock.post(HOOK).mock(return_value=httpx.Response(502))
        with pytest.raises(WebhookError, match="answered 502"):
            asyncio.run(send())
    assert route.call_count == 3


def _approval_json() -> dict[str, Any]:
    path = Path(__file__).resolve().parents[3] / "api" / "examples" / "approval.json"
    return dict(json.loads(path.read_text()))


def test_a_webhook_needs_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="approval_webhook_secret"):
        Settings(data_dir=tmp_path, approval_webhook_url=HOOK).to_agent_config()

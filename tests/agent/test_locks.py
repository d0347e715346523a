"""Decisions for one customer take turns across processes: four deciders on one PostgreSQL
database (each with its own locks and pools, as four worker processes have) never spend more
than the customer's incentive budget, and, with the advisory lock taken away, the same run
does overspend: the test can tell."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from agent.demo import demo_now, seed
from agent.locks import CustomerLocks, advisory_key
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider
from agent.stores.decision_log import SqlDecisionLog
from api.settings import Settings

NOW = demo_now()


def _slow(append: Callable[..., DecisionRecordV1]) -> Callable[..., DecisionRecordV1]:
    """The log's append, a moment late: every decision's snapshot is read well before its
    record lands, so decisions that do not take turns overlap."""

    def slow_append(self: SqlDecisionLog, record: DecisionRecordV1) -> DecisionRecordV1:
        time.sleep(0.3)
        return append(self, record)

    return slow_append


async def _offers(deciders: list[Decider], rounds: int) -> int:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(32))
    # a save offer is the best action for this customer, who looked at cancelling
    request = DecideRequest.model_validate(
        {"customer_id": "c11_srossi", "context": {"journey": "cancellation"}}
    )
    results = await asyncio.gather(
        *(decider.decide(request) for decider in deciders for _ in range(rounds))
    )
    return sum(1 for r in results if r.record.chosen.call.type == "offer_incentive")


@pytest.mark.parametrize("locked", [True, False], ids=["advisory lock", "no lock"])
def test_four_deciders_on_postgres_keep_one_customers_budget(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    config = Settings(data_dir=tmp_path, database_url=pg_url).to_agent_config()
    deciders = [Decider.build(config, clock=lambda: NOW) for _ in range(4)]
    try:
        asyncio.run(seed(deciders[0], NOW))
        monkeypatch.setattr(SqlDecisionLog, "append", _slow(SqlDecisionLog.append))
        if not locked:

            @asynccontextmanager
            async def unlocked(*_: Any) -> AsyncIterator[None]:
                yield

            monkeypatch.setattr(CustomerLocks, "_advisory", staticmethod(unlocked))
        offers = asyncio.run(_offers(deciders, rounds=3))
    finally:
        for decider in deciders:
            decider.close()
    if locked:
        assert 1 <= offers <= 2  # the incentive budget: 2 per 90 days, reservations included
    else:
        assert offers > 2  # four at once each saw the budget unspent


def test_the_advisory_key_is_nextbests_and_a_signed_int4() -> None:
    keys = {advisory_key(f"cus_{n}") for n in range(1000)}
    assert len(keys) == 1000
    assert all(cls == 0x6E62 and -(2**31) <= key < 2**31 for cls, key in keys)


@pytest.mark.parametrize("backend", ["lock files", "advisory locks"])
def test_waiting_for_a_lock_holds_no_thread(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """Forty customers behind one lock (one lock file for all; on PostgreSQL, one process),
    each holder needing a worker thread to finish, on a pool of four threads: if waiting
    held a thread, the waiters would fill the pool and the holder could never finish."""
    if backend == "lock files":
        locks = CustomerLocks(tmp_path / "locks", buckets=1)
    else:
        locks = CustomerLocks(database_url=str(request.getfixturevalue("pg_url")), pool_size=2)
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr("agent.locks.advisory_key", lambda _: (0x6E62, 1))  # one key
    held: list[int] = []

    async def decide(n: int) -> None:
        async with locks.of(f"cus_{n}"):
            held.append(n)
            await asyncio.to_thread(time.sleep, 0.001)  # the holder's own work in a thread
            held.remove(n)

    async def everyone() -> None:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(4))
        await asyncio.wait_for(asyncio.gather(*(decide(n) for n in range(40))), timeout=120)

    try:
        asyncio.run(everyone())  # a deadlock would end in TimeoutError
    finally:
        locks.close()
    assert held == []

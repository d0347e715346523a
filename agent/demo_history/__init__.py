"""The demo history: 90 days of decisions, outcomes and follow-up events, so the journey KPIs
have something to measure on the first run.

Lookalikes of the demo customers (same situation, other names, tiers, consents and dates) live
through their archetype's situation a few times. Each step goes through the real path: profiles
and events into the customer store, every decision through ``Decider.decide`` (and briefings
through ``Decider.brief``) under a clock set to the simulated moment, every outcome through
``Decider.record_outcome``; a CX reviewer reads some of it afterwards. How the simulated
customers respond is data (``data/demo/history.yaml``), drawn from a generator seeded per
lookalike: the history is the same on every run, whatever order the lookalikes run in.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from agent.approvals import ApprovalStatus
from agent.demo import DEMO_DIR, load_demo_customers
from agent.demo_history.lookalike import Lookalike, lookalike_names, seeded_rng
from agent.demo_history.reviews import seed_reviews
from agent.demo_history.spec import (
    ActionResponse,
    HistoryReport,
    HistorySpec,
    SimulatedClock,
    load_history_spec,
)

if TYPE_CHECKING:
    from agent.service import Decider

__all__ = [
    "ActionResponse",
    "HistoryReport",
    "HistorySpec",
    "SimulatedClock",
    "load_history_spec",
    "seed_history",
]


async def seed_history(
    decider: Decider,
    clock: SimulatedClock,
    anchor: datetime,
    demo_dir: Path = DEMO_DIR,
    *,
    lookalikes: int | None = None,
    concurrency: int = 8,
) -> HistoryReport:
    """Live the demo history up to ``anchor`` through ``decider`` (built on ``clock``), with
    ``lookalikes`` per demo customer (default: the spec's).

    Skipped, with ``skipped=True``, when the data directory already holds it."""
    spec = load_history_spec(demo_dir)
    if lookalikes is not None:
        spec = spec.model_copy(update={"lookalikes_per_customer": lookalikes})
    archetypes = load_demo_customers(anchor, demo_dir)
    people = [
        lookalike_names(i, spec) for i in range(len(archetypes) * spec.lookalikes_per_customer)
    ]
    if not people:
        return HistoryReport()
    if await asyncio.to_thread(decider.deps.customers.get_profile, people[0][0]) is not None:
        return HistoryReport(skipped=True)
    gate = asyncio.Semaphore(concurrency)

    async def live(index: int) -> HistoryReport:
        customer_id, first, last = people[index]
        async with gate:
            lookalike = Lookalike(
                customer_id=customer_id,
                names=(first, last),
                archetype=archetypes[index % len(archetypes)],
                spec=spec,
                decider=decider,
                clock=clock,
                anchor=anchor,
                rng=seeded_rng(spec.seed, customer_id),
            )
            return await lookalike.live()

    total = HistoryReport(customers=len(people))
    for report in await asyncio.gather(*(live(i) for i in range(len(people)))):
        total.add(report)
    if spec.reviews is not None:
        since = anchor - timedelta(days=spec.days)
        total.reviews = await seed_reviews(decider, clock, spec.reviews, since, anchor)
    total.approvals = await _approval_tally(decider)
    return total


async def _approval_tally(decider: Decider) -> dict[str, int]:
    """Approvals by status as the history ends."""
    tally: dict[str, int] = {}
    for status in get_args(ApprovalStatus):
        cursor, count = None, 0
        while True:
            page = await decider.approvals.list(status=status, limit=200, cursor=cursor)
            count += len(page.items)
            if (cursor := page.next_cursor) is None:
                break
        if count:
            tally[status] = count
    return tally

"""The demo history: lived through the real decide path, the same on every run, once per data
directory, and leaving the 18 demo customers untouched."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from agent.config import AgentConfig
from agent.demo import demo_now, load_demo_customers, seed
from agent.demo_history import HistoryReport, SimulatedClock, load_history_spec, seed_history
from agent.kpis import KpiQuery
from agent.outcomes import OutcomeRecordV1
from agent.record import DecisionRecordV1
from agent.service import Decider
from agent.stores.decision_query import DecisionQuery

NOW = demo_now()


async def _all(decider: Decider) -> list[DecisionRecordV1]:
    records: list[DecisionRecordV1] = []
    cursor = None
    while True:
        page = await decider.list_decisions(DecisionQuery(), limit=500, cursor=cursor)
        records += page.items
        cursor = page.next_cursor
        if cursor is None:
            return records


def _live(data_dir: Path) -> tuple[HistoryReport, list[tuple[object, ...]], Counter[str]]:
    """Seed the demo and a small history; what was decided and reported, in order."""

    async def run() -> tuple[HistoryReport, list[tuple[object, ...]], Counter[str]]:
        clock = SimulatedClock(NOW)
        decider = Decider.build(AgentConfig(data_dir=data_dir), clock=clock)
        try:
            await seed(decider, NOW)
            report = await seed_history(decider, clock, NOW, lookalikes=1)
            again = await seed_history(decider, clock, NOW, lookalikes=1)
            assert again.skipped
            records = sorted(await _all(decider), key=lambda r: (r.customer_id, r.created_at))
            rows = decider.deps.outcomes.outcomes_of([r.decision_id for r in records])
            outcomes: Counter[str] = Counter(o.type.value for found in rows.values() for o in found)
            lived = [
                (
                    r.customer_id,
                    r.created_at,
                    r.kind,
                    r.chosen.call.type.value,
                    tuple(_kinds(rows[r.decision_id])),
                )
                for r in records
            ]
            kpis = await decider.kpis(KpiQuery(since=NOW - timedelta(days=90), until=NOW))
            assert kpis.overall.decisions == report.decisions
            return report, lived, outcomes
        finally:
            decider.close()

    return asyncio.run(run())


def _kinds(outcomes: list[OutcomeRecordV1]) -> list[str]:
    return [o.type.value for o in outcomes]


def test_the_history_is_the_same_on_every_run(tmp_path: Path) -> None:
    report, lived, outcomes = _live(tmp_path / "first")
    _, again, _ = _live(tmp_path / "second")
    assert lived == again

    assert report.customers == 18
    assert report.decisions == len(lived) >= 20
    assert report.outcomes == sum(outcomes.values())
    assert outcomes["executed"] > outcomes["declined"] > 0
    start = NOW - timedelta(days=load_history_spec().days)
    assert all(start <= created <= NOW for _, created, *_ in lived)
    demo_ids = {c.profile.customer_id for c in load_demo_customers(NOW)}
    assert not demo_ids & {customer for customer, *_ in lived}
    assert {kind for _, _, kind, _, _ in lived} <= {"decision", "briefing"}

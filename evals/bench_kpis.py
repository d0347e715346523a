"""Benchmark: journey KPIs over 100,000 logged decisions.

Builds a decision log of ``--decisions`` records through the real stores: the records are the
demo customers' real decisions (made once through the graph), cloned onto 20,000 customers
and spread over 90 days, with outcomes (executed, declined, accepted, converted) through the
outcome store and transfer events through the customer store. Then, in one run, side by side:

- the KPI query (``SqliteKpiReader.kpis``) for each grouping, best of ``--repeat`` runs;
- reading every record into Python the way a report without indexed columns would have to
  (the decision log's own paged query), once.

Prints each figure, the target (1 s per KPI query on this machine) and the ratio of the two
approaches. The log is kept in ``--data-dir`` and reused when it already holds enough.

    python -m evals.bench_kpis [--decisions 100000] [--data-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

from agent.config import AgentConfig, OutcomeConfig
from agent.demo import demo_now, load_demo_customers, seed
from agent.events import Event
from agent.ids import new_id
from agent.kpis import KpiQuery, KpiReport
from agent.kpis.models import GroupBy
from agent.kpis.store import SqliteKpiReader
from agent.outcomes import OutcomeIn
from agent.outcomes.store import SqliteOutcomeStore
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider
from agent.stores.customers import SqliteCustomerStore
from agent.stores.decision_log import SqliteDecisionLog
from agent.stores.decision_query import DecisionQuery
from tools import Channel

__all__ = ["main"]

TARGET_S = 1.0
CUSTOMERS = 20_000
GROUPINGS: tuple[GroupBy, ...] = ("journey", "playbook", "action_type", "channel", "mode")


def _templates(data_dir: Path, now: datetime) -> list[DecisionRecordV1]:
    """The demo customers' real decisions, made once through the graph."""

    async def run() -> list[DecisionRecordV1]:
        decider = Decider.build(AgentConfig(data_dir=data_dir / "templates"), clock=lambda: now)
        try:
            await seed(decider, now)
            return [
                (
                    await decider.decide(
                        DecideRequest(customer_id=c.profile.customer_id, context=c.context)
                    )
                ).record
                for c in load_demo_customers(now)
            ]
        finally:
            await decider.aclose()

    return asyncio.run(run())


def _build(path: Path, decisions: int, now: datetime) -> None:
    rng = random.Random(7)  # noqa: S311 - a benchmark's data
    templates = _templates(path.parent, now)
    customers = SqliteCustomerStore(path)
    log = SqliteDecisionLog(path)
    outcomes = SqliteOutcomeStore(path)
    started = time.perf_counter()
    for n in range(CUSTOMERS):
        customers.put_profile(templates[n % len(templates)].profile.model_copy(
            update={"customer_id": f"b{n:05d}"}
        ))  # fmt: skip
    reports: list[tuple[str, OutcomeIn]] = []
    for n in range(decisions):
        template = templates[n % len(templates)]
        customer = f"b{rng.randrange(CUSTOMERS):05d}"
        created = now - timedelta(seconds=rng.uniform(86400, 90 * 86400))
        record = template.model_copy(
            update={
                "decision_id": new_id("dec", ms=int(created.timestamp() * 1000)),
                "created_at": created,
                "customer_id": customer,
                "profile": template.profile.model_copy(update={"customer_id": customer}),
                "idempotency_key": None,
            }
        )
        log.append(record)
        draw = rng.random()
        later = created + timedelta(minutes=rng.uniform(1, 120))
        if draw < 0.08:
            reports.append((record.decision_id, OutcomeIn(id="d", type="declined", ts=later)))
        elif draw < 0.9:
            reports.append((record.decision_id, OutcomeIn(id="x", type="executed", ts=later)))
            if draw < 0.3:
                response = OutcomeIn(id="c", type="accepted", ts=later + timedelta(hours=2))
                reports.append((record.decision_id, response))
        if record.context.direction == "inbound" and rng.random() < 0.1:
            transfer = Event(
                id=f"t{n}",
                ts=created + timedelta(minutes=5),
                channel=Channel.PHONE,
                type="transfer",
            )
            customers.append_events(customer, [transfer])
        if len(reports) >= 500:
            outcomes.append(reports, now=now)
            reports = []
    if reports:
        outcomes.append(reports, now=now)
    print(
        f"built {decisions:,} decisions on {CUSTOMERS:,} customers in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    for store in (customers, log, outcomes):
        store.close()


def _count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])


def _kpis(path: Path, group_by: GroupBy, now: datetime, repeat: int) -> tuple[float, KpiReport]:
    reader = SqliteKpiReader(path)
    query = KpiQuery(since=now - timedelta(days=91), until=now, group_by=group_by)
    try:
        best, report = float("inf"), None
        for _ in range(repeat):
            started = time.perf_counter()
            report = reader.kpis(query, now=now, config=OutcomeConfig())
            best = min(best, time.perf_counter() - started)
        assert report is not None
        return best, report
    finally:
        reader.close()


def _read_everything(path: Path) -> float:
    """Every record through the log's paged query, as a report without KPI columns must."""
    log = SqliteDecisionLog(path)
    started = time.perf_counter()
    cursor, seen = None, 0
    while True:
        page = log.query(DecisionQuery(), limit=500, cursor=cursor)
        seen += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    elapsed = time.perf_counter() - started
    log.close()
    print(f"read all {seen:,} records into Python: {elapsed:.2f} s", flush=True)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="nextbest-bench-kpis-"))
    path = data_dir / "nextbest.db"
    now = demo_now()
    if not path.exists() or _count(path) < args.decisions:
        _build(path, args.decisions, now)
    total = _count(path)
    print(f"decision log: {total:,} decisions in {path}", flush=True)
    slowest = 0.0
    for group_by in GROUPINGS:
        elapsed, report = _kpis(path, group_by, now, args.repeat)
        slowest = max(slowest, elapsed)
        print(
            f"KPIs by {group_by:<12} {elapsed * 1000:7.0f} ms  "
            f"({len(report.groups)} groups, {report.overall.decisions:,} decisions, "
            f"{report.overall.repeat_contact.n:,} contacts judged)",
            flush=True,
        )
    naive = _read_everything(path)
    verdict = "meets" if slowest <= TARGET_S else "MISSES"
    print(
        f"slowest KPI query {slowest:.2f} s ({verdict} the {TARGET_S:.0f} s target); "
        f"reading every record instead takes {naive / slowest:.1f}x as long",
        flush=True,
    )
    return 0 if slowest <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())

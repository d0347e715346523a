"""A large decision log for the benchmarks, built through the real stores.

The demo customers' real decisions (made once through the graph) are cloned onto 20,000
customers over 90 days and appended as the service appends them (sealed per customer, chained),
with outcomes through the outcome store and transfer events through the customer store.
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

from agent.config import AgentConfig
from agent.demo import demo_now, load_demo_customers, seed
from agent.events import Event
from agent.ids import new_id
from agent.outcomes import OutcomeIn
from agent.outcomes.store import SqlOutcomeStore
from agent.privacy import Privacy
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider
from agent.stores.customers import SqlCustomerStore
from agent.stores.decision_log import SqlDecisionLog
from tools import Channel

__all__ = ["CUSTOMERS", "build_log", "count_decisions", "parse_bench_args"]

CUSTOMERS = 20_000
PRIVACY = Privacy.from_secret(b"benchmark" * 4)


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


def build_log(path: Path, decisions: int, now: datetime) -> None:
    """Append ``decisions`` decisions (with outcomes and events) to the log at ``path``."""
    rng = random.Random(7)  # noqa: S311 - a benchmark's data
    templates = _templates(path.parent, now)
    customers = SqlCustomerStore(path)
    log = SqlDecisionLog(path, cipher=PRIVACY.cipher)
    outcomes = SqlOutcomeStore(path)
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


def count_decisions(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])


def parse_bench_args(
    description: str, name: str, argv: list[str] | None
) -> tuple[argparse.Namespace, Path]:
    """A benchmark's arguments (``--decisions``, ``--data-dir``, ``--repeat``) and its log,
    built when ``--data-dir`` does not hold one that large yet."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix=f"nextbest-bench-{name}-"))
    path = data_dir / "nextbest.db"
    if not path.exists() or count_decisions(path) < args.decisions:
        build_log(path, args.decisions, demo_now())
    return args, path

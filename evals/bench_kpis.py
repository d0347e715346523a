"""Benchmark: journey KPIs over 100,000 logged decisions.

Builds a decision log of ``--decisions`` records through the real stores
(:mod:`evals.bench_log`), then, in one run, side by side:

- the KPI query (``SqlKpiReader.kpis``) for each grouping, best of ``--repeat`` runs;
- reading every record into Python the way a report without indexed columns would have to
  (the decision log's own paged query), once.

Prints each figure, the target (1 s per KPI query on this machine) and the ratio of the two
approaches. The log is kept in ``--data-dir`` and reused when it already holds enough.

    python -m evals.bench_kpis [--decisions 100000] [--data-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from agent.config import OutcomeConfig
from agent.demo import demo_now
from agent.kpis import KpiQuery, KpiReport
from agent.kpis.models import GroupBy
from agent.kpis.store import SqlKpiReader
from agent.stores.decision_log import SqlDecisionLog
from agent.stores.decision_query import DecisionQuery
from evals.bench_log import PRIVACY, count_decisions, parse_bench_args

__all__ = ["main"]

TARGET_S = 1.0
GROUPINGS: tuple[GroupBy, ...] = ("journey", "playbook", "action_type", "channel", "mode")


def _kpis(path: Path, group_by: GroupBy, now: datetime, repeat: int) -> tuple[float, KpiReport]:
    reader = SqlKpiReader(path)
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
    log = SqlDecisionLog(path, cipher=PRIVACY.cipher)
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
    args, path = parse_bench_args(__doc__.split("\n\n")[0], "kpis", argv)
    now = demo_now()
    total = count_decisions(path)
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

"""Replay: re-run logged decisions through the current graph and report what changed.

Each logged decision's recorded inputs (profile and events as seen, context) go through the
graph again with the clock pinned to the decision's ``created_at``, against the configured
playbooks, policy pack and planner. Nothing is written to the production stores: each replay
gets a throwaway SQLite whose decision log holds the customer's earlier logged decisions and
the outcomes stored before the decision, so contact caps and incentive budgets see what the
original decision saw. This is the first step
of testing a change against real traffic.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.config import AgentConfig
from agent.deps import Deps, build_deps
from agent.outcomes import OutcomeIn
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider
from agent.stores.decision_log import DecisionQuery
from evals.violation import INCENTIVE_LOOKBACK

__all__ = [
    "ReplayItem",
    "ReplayReportV1",
    "compare",
    "print_replay",
    "replay",
    "replay_with",
]


class ReplayItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision_id: str
    customer_id: str
    created_at: datetime
    kind: str
    before: str = Field(description="The logged chosen action.")
    after: str | None = Field(default=None, description="The replayed chosen action.")
    changes: list[str] = Field(default_factory=list, description="What differs, one line each.")
    error: str | None = None
    redacted: list[str] = Field(
        default_factory=list, description="Fields masked in the log: the replay saw them masked."
    )

    @property
    def changed(self) -> bool:
        return bool(self.changes)


class ReplayReportV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    since: datetime
    until: datetime | None
    policy_pack: str
    replayed: int
    unchanged: int
    changed: int
    errors: int
    by_change: dict[str, int] = Field(description="How many decisions changed in each aspect.")
    items: list[ReplayItem]


def _verdicts(record: DecisionRecordV1) -> set[str]:
    return {
        f"{t.call.type.value} {v.policy_id}/{v.outcome.value}/{v.reason_code.value}"
        for t in record.proposals
        for v in t.evaluation.verdicts
        if v.outcome.value != "allow"
    }


def compare(before: DecisionRecordV1, after: DecisionRecordV1) -> list[str]:
    """What differs between a logged decision and its replay, as ``aspect: old -> new`` lines."""
    old, new = before.chosen.call, after.chosen.call
    changes = []
    if old.type != new.type:
        changes.append(f"action: {old.type.value} -> {new.type.value}")
    elif old.args != new.args:
        a, b = old.args.model_dump(mode="json"), new.args.model_dump(mode="json")
        diff = [f"{k}={a.get(k)!r}->{b.get(k)!r}" for k in sorted({*a, *b}) if a.get(k) != b.get(k)]
        changes.append("args: " + ", ".join(diff))
    for aspect in ("mode", "safe_default", "approval_required"):
        if getattr(before, aspect) != getattr(after, aspect):
            changes.append(f"{aspect}: {getattr(before, aspect)} -> {getattr(after, aspect)}")
    if before.chosen.outcome != after.chosen.outcome:
        changes.append(f"outcome: {before.chosen.outcome.value} -> {after.chosen.outcome.value}")
    gone, came = _verdicts(before) - _verdicts(after), _verdicts(after) - _verdicts(before)
    if gone or came:
        parts = [f"-{v}" for v in sorted(gone)] + [f"+{v}" for v in sorted(came)]
        changes.append("verdicts: " + "; ".join(parts))
    return changes


def _logged(deps: Deps, query: DecisionQuery, limit: int) -> list[DecisionRecordV1]:
    records: list[DecisionRecordV1] = []
    cursor = None
    while len(records) < limit:
        page = deps.decisions.query(query, limit=min(100, limit - len(records)), cursor=cursor)
        records.extend(r for r in page.items if isinstance(r, DecisionRecordV1))
        cursor = page.next_cursor
        if cursor is None:
            break
    return sorted(records, key=lambda r: (r.created_at, r.decision_id))


def _earlier(deps: Deps, record: DecisionRecordV1) -> list[DecisionRecordV1]:
    query = DecisionQuery(
        customer_id=record.customer_id,
        since=record.created_at - INCENTIVE_LOOKBACK,
        until=record.created_at,
    )
    return [r for r in _logged(deps, query, 10_000) if r.decision_id != record.decision_id]


def _copy_outcomes(base: Deps, into: Deps, decision_ids: list[str], *, before: datetime) -> None:
    """The outcomes of these decisions that were stored by ``before``, stored again as then."""
    rows = base.outcomes.outcomes_of(decision_ids)
    known = sorted(
        (o for found in rows.values() for o in found if o.recorded_at <= before),
        key=lambda o: o.recorded_at,
    )
    for row in known:
        report = OutcomeIn.model_validate(
            row.model_dump(include={"type", "ts", "value", "source", "note"})
            | {"id": row.outcome_id}
        )
        into.outcomes.append([(row.decision_id, report)], now=row.recorded_at)


async def _replay_one(base: Deps, record: DecisionRecordV1, folder: Path) -> DecisionRecordV1:
    folder.mkdir(parents=True)
    config = base.config.model_copy(update={"data_dir": folder})

    def clock() -> datetime:
        return record.created_at

    deps = base.with_stores_in(config, clock)
    try:
        earlier = _earlier(base, record)
        for logged in earlier:
            deps.decisions.append(logged)
        _copy_outcomes(base, deps, [r.decision_id for r in earlier], before=record.created_at)
        # the profile and events as seen are stored, and the request names the customer the way
        # the original did, so the loader takes the same path (and no request size limit bites)
        deps.customers.put_profile(record.profile)
        deps.customers.append_events(record.customer_id, [*record.events, *record.fetched_events])
        request = (
            DecideRequest(customer_id=record.customer_id, context=record.context)
            if record.profile_source == "store"
            else DecideRequest(profile=record.profile, context=record.context)
        )
        decider = Decider(deps)
        run = decider.brief if record.kind == "briefing" else decider.decide
        return (await run(request)).record
    finally:
        deps.close_stores()


async def _replay_all(
    base: Deps, records: list[DecisionRecordV1], workdir: Path
) -> list[ReplayItem]:
    items = []
    for index, record in enumerate(records):
        item = ReplayItem(
            decision_id=record.decision_id,
            customer_id=record.customer_id,
            created_at=record.created_at,
            kind=record.kind,
            before=f"{record.chosen.call.type.value} ({record.chosen.outcome.value})",
            redacted=list(record.redactions),
        )
        try:
            again = await _replay_one(base, record, workdir / f"replay-{index:05d}")
        except Exception as exc:  # reported per decision; the replay goes on
            items.append(item.model_copy(update={"error": f"{type(exc).__name__}: {exc}"}))
            continue
        after = f"{again.chosen.call.type.value} ({again.chosen.outcome.value})"
        items.append(item.model_copy(update={"after": after, "changes": compare(record, again)}))
    return items


async def replay_with(
    base: Deps, *, since: datetime, until: datetime | None, limit: int, workdir: Path
) -> ReplayReportV1:
    """Replay with deps the caller built and closes (their log is read, never written)."""
    records = _logged(base, DecisionQuery(since=since, until=until), limit)
    items = await _replay_all(base, records, workdir)
    by_change: dict[str, int] = {}
    for item in items:
        for aspect in {line.split(":", 1)[0] for line in item.changes}:
            by_change[aspect] = by_change.get(aspect, 0) + 1
    return ReplayReportV1(
        since=since,
        until=until,
        policy_pack=f"{base.pack.id}@{base.pack.version}",
        replayed=len(items),
        unchanged=sum(1 for i in items if not i.changed and i.error is None),
        changed=sum(1 for i in items if i.changed),
        errors=sum(1 for i in items if i.error is not None),
        by_change=dict(sorted(by_change.items())),
        items=items,
    )


def replay(
    config: AgentConfig, *, since: datetime, until: datetime | None, limit: int, workdir: Path
) -> ReplayReportV1:
    """Replay up to ``limit`` decisions logged in ``[since, until)`` of ``config``'s data dir,
    oldest first, through the graph as ``config`` builds it today."""
    base = build_deps(config, clock=lambda: since)

    async def run() -> ReplayReportV1:
        try:
            return await replay_with(base, since=since, until=until, limit=limit, workdir=workdir)
        finally:
            await base.aclose()  # in this loop: an LLM client's connections belong to it

    return asyncio.run(run())


def print_replay(report: ReplayReportV1, console: Console) -> None:
    """Counts, then one row per changed or failed decision."""
    console.print(
        f"replayed {report.replayed} decision(s) under {report.policy_pack}: "
        f"{report.unchanged} unchanged, {report.changed} changed, {report.errors} error(s)",
        markup=False,
    )
    if report.by_change:
        console.print(
            "changed: " + ", ".join(f"{k} x{v}" for k, v in report.by_change.items()), markup=False
        )
    shown = [i for i in report.items if i.changed or i.error]
    if not shown:
        return
    table = Table("decision", "customer", "before", "after", "what changed")
    for item in shown:
        what = item.error or "\n".join(item.changes)
        cells = (item.decision_id, item.customer_id, item.before, item.after or "-", what)
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)

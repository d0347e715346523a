"""One batch run: each customer decided once per run, whatever happens to the process.

Every decision carries the idempotency key ``batch:<run_id>:<customer_id>``, so running the same
run id again (after a crash, a Ctrl-C, a full disk) replays the decisions already logged and
decides only the rest: a run is resumable without a store of its own, and no customer gets a
second decision from it. Decisions go through ``Decider.decide``, the same graph, guards, caps
and log as the API; the caller is recorded as ``batch``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict, Field

from agent.context import RequestContext
from agent.errors import NextbestError
from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Asker, Decider
from policies import Outcome

__all__ = ["BatchItem", "BatchSummary", "idempotency_key", "run_batch"]


def idempotency_key(run_id: str, customer_id: str) -> str:
    return f"batch:{run_id}:{customer_id}"


class BatchItem(BaseModel):
    """What became of one customer in the run."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    decision_id: str | None = Field(default=None, description="None when it failed.")
    action: str | None = Field(default=None, description="The chosen action's type.")
    replayed: bool = Field(default=False, description="Decided by an earlier try of the run.")
    denied_by: list[str] = Field(
        default_factory=list, description="The policies that denied one of its proposals."
    )
    safe_default: bool = False
    error: str | None = Field(default=None, description="Why it could not be decided.")


class BatchSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    customers: int = Field(description="Customers in the run.")
    decided: int = Field(description="Decided in this try.")
    replayed: int = Field(description="Already decided by an earlier try of the run.")
    failed: int = Field(description="Not decided (e.g. an unknown customer id).")
    actions: dict[str, int] = Field(description="Chosen action type -> decisions.")
    denials: dict[str, int] = Field(
        description="Policy -> decisions in which it denied at least one proposal."
    )
    safe_defaults: int
    seconds: float = Field(description="Wall time of this try.")
    decisions_per_s: float = Field(description="Decided in this try, per second of wall time.")
    errors: dict[str, str] = Field(
        default_factory=dict, description="Customer -> why (the first 20)."
    )


def _item(customer_id: str, record: DecisionRecordV1, replayed: bool) -> BatchItem:
    denied = sorted(
        {
            verdict.policy_id
            for trace in record.proposals
            for verdict in trace.evaluation.verdicts
            if verdict.outcome is Outcome.DENY
        }
    )
    return BatchItem(
        customer_id=customer_id,
        decision_id=record.decision_id,
        action=record.chosen.call.type.value,
        replayed=replayed,
        denied_by=denied,
        safe_default=record.safe_default,
    )


def summarize(run_id: str, items: list[BatchItem], seconds: float) -> BatchSummary:
    done = [i for i in items if i.error is None]
    decided = sum(1 for i in done if not i.replayed)
    return BatchSummary(
        run_id=run_id,
        customers=len(items),
        decided=decided,
        replayed=len(done) - decided,
        failed=len(items) - len(done),
        actions=dict(Counter(i.action for i in done if i.action).most_common()),
        denials=dict(Counter(p for i in done for p in i.denied_by).most_common()),
        safe_defaults=sum(1 for i in done if i.safe_default),
        seconds=round(seconds, 3),
        decisions_per_s=round(decided / seconds, 2) if seconds > 0 else 0.0,
        errors=dict([(i.customer_id, i.error) for i in items if i.error is not None][:20]),
    )


async def run_batch(
    decider: Decider,
    customer_ids: Iterable[str],
    *,
    run_id: str,
    journey: str | None = None,
    concurrency: int = 8,
    on_item: Callable[[BatchItem], None] | None = None,
) -> BatchSummary:
    """Decide for each customer (outbound, the journey if given), ``concurrency`` at a time."""
    caller = Asker(name="batch")
    context = RequestContext(direction="outbound", journey=journey)
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def one(customer_id: str) -> BatchItem:
        async with gate:
            try:
                result = await decider.decide(
                    DecideRequest(customer_id=customer_id, context=context),
                    idempotency_key=idempotency_key(run_id, customer_id),
                    caller=caller,
                )
                item = _item(customer_id, result.record, result.replayed)
            except NextbestError as exc:
                item = BatchItem(customer_id=customer_id, error=f"{exc.code}: {exc}")
        if on_item is not None:
            on_item(item)
        return item

    items = await asyncio.gather(*(one(c) for c in dict.fromkeys(customer_ids)))
    return summarize(run_id, list(items), time.perf_counter() - started)

"""CX governance reading the seeded history: reviews of the decisions the spec's rules pick,
written through ``Decider.add_review`` at the simulated moment a reviewer would read them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agent.demo_history.spec import ReviewRule, ReviewSpec, SimulatedClock
from agent.record import DecisionRecordV1
from agent.stores.decision_columns import columns_of
from agent.stores.decision_log import DecisionQuery

if TYPE_CHECKING:
    from agent.service import Decider

__all__ = ["seed_reviews"]


async def _picked(decider: Decider, rule: ReviewRule, since: datetime) -> list[DecisionRecordV1]:
    """The first ``rule.count`` decisions (by id) of the rule's journey and action."""
    query = DecisionQuery(action_type=rule.action_type, kind="decision", since=since)
    found: list[DecisionRecordV1] = []
    cursor = None
    while True:
        page = await decider.list_decisions(query, limit=200, cursor=cursor)
        found += [
            r
            for r in page.items
            if isinstance(r, DecisionRecordV1) and columns_of(r).journey == rule.journey
        ]
        cursor = page.next_cursor
        if cursor is None:
            break
    picked = []
    for record in sorted(found, key=lambda r: r.decision_id):
        if rule.derived is not None:
            life = await decider.decision_lifecycle(record.decision_id)
            if rule.derived not in {d.type for d in life.derived}:
                continue
        picked.append(record)
        if len(picked) == rule.count:
            break
    return picked


async def seed_reviews(
    decider: Decider, clock: SimulatedClock, spec: ReviewSpec, since: datetime, anchor: datetime
) -> int:
    """Write the rules' reviews; how many."""
    from agent.service import Asker

    reviewer = Asker(name=spec.reviewer)
    written = 0
    for rule in spec.rules:
        for record in await _picked(decider, rule, since):
            clock.set(min(record.created_at + timedelta(days=spec.after_days), anchor))
            await decider.add_review(record.decision_id, rule.review, caller=reviewer)
            written += 1
    return written

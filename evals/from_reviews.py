"""Reviewed decisions as eval scenarios: governance feeds the regression gate.

Each decision a reviewer judged becomes one scenario, built from what the log recorded (the
profile and events as the agent saw them, the context, the clock pinned to the decision, and
the customer's earlier actions that caps and budgets count), with the reviewer's judgement as
the expectation:

- good: the action the decision chose is the acceptable one;
- poor: the reviewer's action is the acceptable one;
- harmful: the reviewer's action is the acceptable one, and the chosen one is forbidden.

The latest review of a decision wins. Each scenario is one YAML file named after the decision,
registered as derived from its customer, so that erasing the customer deletes it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from agent.deps import Deps
from agent.graph.context_loader import INCENTIVE_LOOKBACK
from agent.outcomes import EXECUTION_TYPES, OutcomeType
from agent.record import DecisionRecordV1
from agent.reviews import LoggedReview, ReviewRecordV1
from agent.reviews.store import ReviewQuery
from agent.stores.decision_columns import columns_of
from agent.stores.decision_log import DecisionQuery, RecordErased
from evals.scenario import ActionExpectation, ArgConstraint, Expectations, PriorAction, Scenario
from tools import ActionCall, ActionType

__all__ = ["ImportReport", "expectation_of", "import_reviews", "scenario_from_review"]

_PAGE = 200


@dataclass
class ImportReport:
    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(decision id, why) for reviewed decisions that could not become a scenario."""


def expectation_of(call: ActionCall) -> ActionExpectation:
    """The call's type; for a message, its channel too (the rest may fairly differ)."""
    args = {}
    if call.type is ActionType.SEND_MESSAGE and call.channel is not None:
        args["channel"] = ArgConstraint(eq=call.channel.value)
    return ActionExpectation(type=call.type, args=args)


def _prior_actions(deps: Deps, record: DecisionRecordV1) -> list[PriorAction]:
    """The customer's earlier decided actions that caps and budgets count, with what was
    reported about them."""
    query = DecisionQuery(
        customer_id=record.customer_id,
        kind="decision",
        since=record.created_at - INCENTIVE_LOOKBACK,
        until=record.created_at,
    )
    earlier: list[DecisionRecordV1] = []
    cursor = None
    while True:
        page = deps.decisions.query(query, limit=_PAGE, cursor=cursor)
        earlier += [r for r in page.items if isinstance(r, DecisionRecordV1)]
        cursor = page.next_cursor
        if cursor is None:
            break
    counted = [
        r
        for r in earlier
        if r.profile_source == record.profile_source
        and (
            r.chosen.call.spec.contacts_customer or r.chosen.call.type is ActionType.OFFER_INCENTIVE
        )
    ]
    reports = deps.outcomes.outcomes_of([r.decision_id for r in counted])
    prior = []
    for r in sorted(counted, key=lambda r: (r.created_at, r.decision_id)):
        types = {o.type for o in reports[r.decision_id]}
        reported = (
            "executed"
            if types & EXECUTION_TYPES
            else "declined"
            if OutcomeType.DECLINED in types
            else "nothing"
        )
        prior.append(PriorAction(ts=r.created_at, call=r.chosen.call, reported=reported))
    return prior


def scenario_from_review(
    record: DecisionRecordV1, review: ReviewRecordV1, prior: list[PriorAction]
) -> Scenario:
    chosen = expectation_of(record.chosen.call)
    if review.verdict == "good":
        acceptable, forbidden = [chosen], []
    else:
        assert review.action is not None  # ReviewIn requires it
        wanted = expectation_of(review.action)
        acceptable = [wanted]
        forbidden = [chosen] if review.verdict == "harmful" and chosen != wanted else []
    journey = columns_of(record).journey or "general"
    note = f" {review.note}" if review.note else ""
    return Scenario(
        id=f"review-{record.decision_id.lower().replace('_', '-')}",
        title=f"{review.verdict} per {review.reviewer}: {record.chosen.call.type.value} "
        f"({journey})",
        journey=journey,
        tags=["review", review.verdict, *review.tags],
        kind=record.kind,
        now=record.created_at,
        profile=record.profile,
        events=[e for e in record.events if e.ts <= record.created_at],
        context=record.context,
        prior_actions=prior,
        expect=Expectations(acceptable=acceptable, forbidden=forbidden),
        notes=f"From review {review.review_id} of decision {record.decision_id} by "
        f"{review.reviewer}, {review.created_at:%Y-%m-%d}.{note}",
    )


def _latest_reviews(deps: Deps, since: datetime, until: datetime | None) -> dict[str, LoggedReview]:
    """The newest review of each decision reviewed in the window."""
    latest: dict[str, LoggedReview] = {}
    cursor = None
    query = ReviewQuery(since=since, until=until)
    while True:
        page = deps.reviews.query(query, limit=_PAGE, cursor=cursor)
        for review in page.items:
            latest.setdefault(review.decision_id, review)
        cursor = page.next_cursor
        if cursor is None:
            return latest


def import_reviews(
    deps: Deps, *, since: datetime, until: datetime | None, out: Path, now: datetime
) -> ImportReport:
    """Write one scenario file per reviewed decision into ``out``."""
    report = ImportReport()
    out.mkdir(parents=True, exist_ok=True)
    for decision_id, review in sorted(_latest_reviews(deps, since, until).items()):
        try:
            record = deps.decisions.get(decision_id)
        except RecordErased:
            record = None
        if record is None or not isinstance(review, ReviewRecordV1):
            report.skipped.append((decision_id, "its customer was erased"))
            continue
        scenario = scenario_from_review(record, review, _prior_actions(deps, record))
        path = out / f"{scenario.id}.yaml"
        body = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        path.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
        deps.derived.register(path, record.customer_id, f"eval scenario {path.name}", now)
        report.written.append(path)
    return report

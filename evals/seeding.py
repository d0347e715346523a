"""Turn a scenario into stored state and a decide request, as a real caller would have them.

- ``customer_id``: the demo fixture's profile and history (anchored at ``scenario.now``) are
  stored; the scenario's own events are sent inline with the request, and its ``context`` is used
  when given, else the fixture's.
- ``profile``: sent inline with the scenario's events and context; nothing is stored.
- ``prior_actions``: one decision record each, appended to the scenario's decision log, with an
  ``executed`` or ``declined`` outcome when the scenario says one was reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from agent.context import RequestContext
from agent.demo import DemoCustomer, load_demo_customers
from agent.deps import Deps
from agent.events import Event
from agent.ids import new_id
from agent.outcomes import ACCOUNTING_EVENTS, Accounting, OutcomeIn, OutcomeType, account
from agent.profile import Profile
from agent.record import DecideRequest, DecisionRecordV1, ProposalTrace, RankedAction
from agent.signals.models import (
    EffortSignal,
    IntentSignal,
    JourneySignal,
    RiskSignal,
    SentimentSignal,
    Signals,
)
from evals.scenario import PriorAction, Scenario
from evals.violation import CONTACT_LOOKBACK, INCENTIVE_LOOKBACK, policy_snapshot
from policies import Evaluation, Outcome, PolicyContext

__all__ = ["Prepared", "demo_fixture", "prepare", "seed_record"]

SEED_RATIONALE = "eval seed"

_NEUTRAL = Signals(
    intent=IntentSignal(name=None, journey=None, score=0.0),
    sentiment=SentimentSignal(compound=0.0, label="neutral", texts_scored=0),
    effort=EffortSignal(
        score=0.0,
        level="low",
        repeat_contacts_7d=0,
        transfers=0,
        failed_logins=0,
        errors=0,
        help_dwell_seconds=0,
    ),
    journey=JourneySignal(journey=None, stage="dormant"),
    risk=RiskSignal(churn=0.0, level="low"),
)
"""Seed records carry no derived signals: nothing was observed, only the action is known."""


@dataclass(frozen=True, slots=True)
class Prepared:
    request: DecideRequest
    profile: Profile
    context: RequestContext
    snapshot: PolicyContext
    """The policy snapshot rebuilt by the eval, for the final-action re-check."""


def demo_fixture(customer_id: str, anchor: datetime) -> DemoCustomer:
    """The demo customer with this id, its events anchored at ``anchor``."""
    for customer in load_demo_customers(anchor):
        if customer.profile.customer_id == customer_id:
            return customer
    raise LookupError(f"customer_id {customer_id!r} is not a demo customer")


def seed_record(
    scenario: Scenario,
    profile: Profile,
    prior: PriorAction,
    index: int,
    deps: Deps,
    source: Literal["store", "inline"] = "store",
) -> DecisionRecordV1:
    """An earlier decision that chose ``prior.call``, permitted, made at ``prior.ts``."""
    evaluation = Evaluation(outcome=Outcome.ALLOW, call=prior.call, verdicts=[])
    trace = ProposalTrace(
        proposal_id="p1",
        call=prior.call,
        playbook_id=None,
        playbook_version=None,
        rationale=SEED_RATIONALE,
        propensity=1.0,
        value=0.0,
        evaluation=evaluation,
    )
    chosen = RankedAction(
        proposal_id="p1",
        call=prior.call,
        score=0.0,
        probability=1.0,
        outcome=Outcome.ALLOW,
        playbook_id=None,
    )
    return DecisionRecordV1(
        decision_id=new_id("dec", ms=int(prior.ts.timestamp() * 1000)),
        created_at=prior.ts,
        customer_id=profile.customer_id,
        profile=profile,
        events=[],
        context=RequestContext(),
        profile_source=source,
        signals=_NEUTRAL,
        playbooks=[],
        proposals=[trace],
        chosen=chosen,
        alternatives=[],
        approval_required=False,
        rationale=SEED_RATIONALE,
        safe_default=False,
        mode="rules",
        mode_reason=f"eval seed: prior action {index} of scenario {scenario.id}",
        policy_pack_version=f"{deps.pack.id}@{deps.pack.version}",
        embedding_model=deps.embedder.model_id,
        timings_ms={},
    )


def _customer(deps: Deps, scenario: Scenario) -> tuple[Profile, list[Event], RequestContext, bool]:
    """Profile, inline events, context, and whether the profile is stored (a demo fixture)."""
    given_context = "context" in scenario.model_fields_set
    if scenario.customer_id is not None:
        fixture = demo_fixture(scenario.customer_id, scenario.now)
        deps.customers.put_profile(fixture.profile)
        history = [e for e in fixture.events if e.ts <= scenario.now]
        deps.customers.append_events(fixture.profile.customer_id, history)
        context = scenario.context if given_context else fixture.context
        return fixture.profile, list(scenario.events), context, True
    if scenario.profile is None:  # pragma: no cover - the scenario model refuses it
        raise ValueError(f"scenario {scenario.id!r} has no customer")
    return scenario.profile, list(scenario.events), scenario.context, False


def _seed_prior(
    deps: Deps,
    scenario: Scenario,
    profile: Profile,
    prior: PriorAction,
    index: int,
    source: Literal["store", "inline"],
) -> None:
    record = deps.decisions.append(seed_record(scenario, profile, prior, index, deps, source))
    if prior.reported != "nothing":
        report = OutcomeIn(id=f"seed-{index}", type=OutcomeType(prior.reported), ts=prior.ts)
        deps.outcomes.append([(record.decision_id, report)], now=prior.ts)


def _history(
    deps: Deps, scenario: Scenario, customer_id: str, inline: list[Event], source: str
) -> Accounting:
    """What the stores say was executed or reserved before the scenario's decision."""
    since = scenario.now - INCENTIVE_LOOKBACK
    stored = deps.customers.events_of_types(customer_id, ACCOUNTING_EVENTS, since=since)
    return account(
        deps.outcomes.ledger(customer_id, since=since, as_of=scenario.now, source=source),
        [*stored, *(e for e in inline if e.type in ACCOUNTING_EVENTS)],
        now=scenario.now,
        reservation_ttl=timedelta(seconds=deps.config.outcomes.reservation_ttl_s),
        contacts_since=scenario.now - CONTACT_LOOKBACK,
        incentives_since=since,
    )


def prepare(deps: Deps, scenario: Scenario) -> Prepared:
    """Store what the scenario says exists, and build the request and the policy snapshot."""
    profile, events, context, stored = _customer(deps, scenario)
    source: Literal["store", "inline"] = "store" if stored else "inline"
    for index, prior in enumerate(sorted(scenario.prior_actions, key=lambda p: p.ts)):
        _seed_prior(deps, scenario, profile, prior, index, source)
    request = (
        DecideRequest(customer_id=profile.customer_id, events=events, context=context)
        if stored
        else DecideRequest(profile=profile, events=events, context=context)
    )
    history = _history(deps, scenario, profile.customer_id, events, source)
    snapshot = policy_snapshot(profile, context, scenario.now, history)
    return Prepared(request=request, profile=profile, context=context, snapshot=snapshot)

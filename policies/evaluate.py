"""Every guard on one proposal, in a fixed order, combined into one answer."""

from __future__ import annotations

from policies.approval import approval
from policies.base import Guard
from policies.cases import cases
from policies.consent import consent
from policies.context import PolicyContext
from policies.frequency_cap import frequency_cap
from policies.incentive_limits import incentive_limits
from policies.pack import PolicyPack
from policies.quiet_hours import quiet_hours
from policies.rules import rules
from policies.suppression import suppression
from policies.verdict import Evaluation, Outcome, Verdict
from tools import ActionCall

__all__ = ["GUARDS", "combine", "evaluate"]

GUARDS: tuple[Guard, ...] = (
    # Outright refusals first: they do not depend on arguments another guard may patch.
    suppression,
    cases,
    consent,
    frequency_cap,
    # Limits next: a capped incentive is the one later guards judge.
    incentive_limits,
    approval,
    # Timing last among built-ins: it moves a send time that every guard above accepted.
    quiet_hours,
    # Custom rules see the call as the built-in guards left it.
    rules,
)

_SEVERITY = {Outcome.ALLOW: 0, Outcome.MODIFY: 1, Outcome.REQUIRE_APPROVAL: 2, Outcome.DENY: 3}


def combine(verdicts: list[Verdict]) -> Outcome:
    """deny > require_approval > modify > allow."""
    return max((v.outcome for v in verdicts), key=_SEVERITY.__getitem__, default=Outcome.ALLOW)


def evaluate(call: ActionCall, ctx: PolicyContext, pack: PolicyPack) -> Evaluation:
    """Run every guard (so 'why not' is complete); a modification is what the next guard sees."""
    verdicts: list[Verdict] = []
    current = call
    for guard in GUARDS:
        verdict = guard(current, ctx, pack)
        verdicts.append(verdict)
        if verdict.outcome is Outcome.MODIFY and verdict.modified is not None:
            current = verdict.modified
    return Evaluation(outcome=combine(verdicts), call=current, verdicts=verdicts)

"""The eval scenario format: one customer moment and what a good decision looks like.

Scenarios are data (YAML files under ``evals/suites/<suite>/``), validated by these models. A
scenario pins the clock, gives a customer (a demo fixture by id, or an inline profile), events,
the interaction context, and expectations. Events use absolute timestamps, so quiet hours, DST
days and rolling windows are exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from agent.context import RequestContext
from agent.events import Event
from agent.profile import CustomerId, Profile
from policies.verdict import Outcome, ReasonCode
from tools import ActionCall, ActionType

__all__ = [
    "ActionExpectation",
    "ArgConstraint",
    "BriefingExpectation",
    "Expectations",
    "PriorAction",
    "Scenario",
    "VerdictExpectation",
]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,79}$")]
Scalar = str | int | Decimal | bool | None


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ArgConstraint(_Strict):
    """A constraint on one argument of the chosen call (after policy modifications)."""

    eq: Scalar = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    le: Decimal | None = None
    ge: Decimal | None = None
    present: bool | None = Field(default=None, description="The argument is set (not null).")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ActionExpectation(_Strict):
    """An action type, optionally with constraints on its arguments (``args.channel`` etc.)."""

    type: ActionType
    args: dict[str, ArgConstraint] = Field(default_factory=dict)


class VerdictExpectation(_Strict):
    """A verdict that must appear on some proposal of the decision (any field left out matches)."""

    policy: str = Field(description="Guard id, e.g. consent, quiet_hours, suppression.")
    outcome: Outcome | None = None
    reason_code: ReasonCode | None = None
    action_type: ActionType | None = None


class BriefingExpectation(_Strict):
    """For ``kind: briefing``: what the support agent must be told, and must not be told."""

    facts: list[str] = Field(
        default_factory=list,
        description="Substrings (case-insensitive) each of which some fact's text or ref holds.",
    )
    not_claims: list[str] = Field(
        default_factory=list,
        description="Substrings (case-insensitive) the narrative and items must not contain.",
    )


class Expectations(_Strict):
    acceptable: list[ActionExpectation] = Field(
        min_length=1, description="The chosen action must match one of these."
    )
    forbidden: list[ActionExpectation] = Field(
        default_factory=list, description="The chosen action must match none of these."
    )
    verdicts: list[VerdictExpectation] = Field(default_factory=list)
    safe_default: bool | None = Field(
        default=None, description="When set, whether the safe default must (not) be used."
    )
    approval_required: bool | None = None
    briefing: BriefingExpectation | None = None


class PriorAction(_Strict):
    """An earlier decided action, seeded into the decision log before the scenario runs (for
    contact caps and incentive budgets), and what was reported about it."""

    ts: AwareDatetime
    call: ActionCall
    reported: Literal["executed", "declined", "nothing"] = Field(
        default="executed",
        description="executed: it counts; declined: it never counts; nothing: it counts only "
        "while its reservation holds (NEXTBEST_RESERVATION_TTL_S after ts).",
    )


class Scenario(_Strict):
    id: Slug
    title: str = Field(min_length=1, max_length=200)
    journey: Slug = Field(description="The journey this scenario exercises (for per-journey KPIs).")
    tags: list[Slug] = Field(default_factory=list, description="adversarial, consent, dst, ...")
    kind: Literal["decision", "briefing"] = "decision"
    now: AwareDatetime = Field(description="The pinned clock of the decision.")
    customer_id: CustomerId | None = Field(
        default=None,
        description="A demo customer (data/demo/customers): its profile and its event history "
        "(anchored at now) are stored; `events` are sent with the request; `context`, when "
        "left out, is the fixture's.",
    )
    profile: Profile | None = None
    events: list[Event] = Field(default_factory=list)
    context: RequestContext = Field(default_factory=RequestContext)
    prior_actions: list[PriorAction] = Field(default_factory=list)
    expect: Expectations
    notes: str = Field(default="", description="Why a CX lead wrote this scenario.")

    @model_validator(mode="after")
    def _one_customer(self) -> Self:
        if (self.customer_id is None) == (self.profile is None):
            raise ValueError("give exactly one of customer_id (a demo fixture) or profile")
        if self.expect.briefing is not None and self.kind != "briefing":
            raise ValueError("expect.briefing needs kind: briefing")
        late = [e.id for e in self.events if e.ts > self.now]
        if late:
            raise ValueError(f"events after now: {', '.join(late)}")
        future = [str(i) for i, p in enumerate(self.prior_actions) if p.ts > self.now]
        if future:
            raise ValueError(f"prior_actions after now: {', '.join(future)}")
        return self

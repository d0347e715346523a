"""The snapshot a guard reads: everything fetched before, so guards stay pure."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tools import ActionType, Channel, Purpose

__all__ = [
    "CaseFact",
    "CaseSource",
    "ConsentFact",
    "ContactFact",
    "CustomerFacts",
    "FactSource",
    "FactStatus",
    "IncentiveFact",
    "PolicyContext",
]

FactSource = Literal["decision", "event"]
"""Where a counted contact or spend came from: a logged decision, or a customer event that
another system posted."""

FactStatus = Literal["executed", "reserved"]
"""executed: reported done (or posted as an event); reserved: recommended moments ago, with no
report yet, held so that two quick decisions cannot both spend the last contact."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConsentFact(_Frozen):
    channel: Channel
    purpose: Purpose
    granted: bool


CaseSource = Literal["profile", "event", "decision"]
"""Where an open case is known from: the profile's cases, a case_opened event another system
posted, or an open_case decision of ours (carried out, or recommended moments ago)."""


class CaseFact(_Frozen):
    """A case that is open: one of its type is not opened again, it is updated."""

    case_id: str = Field(
        description="The case's id (a decision's id until the case system reports one of its own)."
    )
    case_type: str = Field(description="What it is about, e.g. billing_dispute.")
    opened_at: AwareDatetime = Field(description="When it was opened (or decided).")
    source: CaseSource = Field(description="profile, event or decision.")
    ref: str = Field(description="The case id, event id or decision id it was read from.")
    status: FactStatus = Field(
        default="executed",
        description="executed (open) or reserved (an open_case decision with no report yet).",
    )


class CustomerFacts(_Frozen):
    customer_id: str
    tier: str
    timezone: str = Field(description="IANA zone, already validated.")
    currency: str
    consents: list[ConsentFact] = Field(default_factory=list)
    open_cases: list[CaseFact] = Field(
        default_factory=list, description="Cases not resolved, oldest first."
    )
    open_case_types: list[str] = Field(
        default_factory=list,
        description="Types of cases not resolved (those of open_cases are always among them).",
    )
    vulnerability_flags: list[str] = Field(default_factory=list)
    intent: str | None = Field(
        default=None,
        description="What the customer's words of the last days are about (the recognised "
        "intent), whatever the direction of the decision: a dispute in the events counts.",
    )
    journey_stage: str | None = Field(
        default=None,
        description="Where the customer stands in their journey now (exploring, attempting, "
        "blocked, escalating, completed, dormant).",
    )
    segment: str | None = None
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _types_of_open_cases(self) -> CustomerFacts:
        missing = {c.case_type for c in self.open_cases} - set(self.open_case_types)
        if missing:  # frozen: set once, while the model is built
            object.__setattr__(self, "open_case_types", sorted({*self.open_case_types, *missing}))
        return self

    def open_case(self, case_type: str) -> CaseFact | None:
        """The oldest open case of this type, if any."""
        return next((c for c in self.open_cases if c.case_type == case_type), None)

    @cached_property
    def as_data(self) -> dict[str, Any]:
        """The facts as JSON data for declarative rules, made once: the snapshot is frozen, and
        every probe and proposal of a decision reads it. Read it, never change it."""
        return self.model_dump(mode="json")


class _Counted(_Frozen):
    """Where a counted fact came from, and whether it was carried out or is only reserved."""

    source: FactSource = Field(
        default="decision", description="decision (a logged decision) or event (posted)."
    )
    ref: str = Field(default="", description="The decision id or the event id.")
    status: FactStatus = Field(
        default="executed",
        description="executed (reported done, or an event) or reserved (recommended, no report "
        "yet).",
    )


class ContactFact(_Counted):
    """A contact that reached the customer, or is reserved to."""

    ts: AwareDatetime = Field(description="When it reaches the customer.")
    action_type: ActionType = Field(description="The action, or the nearest one for an event.")
    channel: Channel = Field(description="The channel it reaches the customer on.")
    purpose: Purpose = Field(description="service or marketing.")


class IncentiveFact(_Counted):
    """An incentive or goodwill credit given, or reserved."""

    ts: AwareDatetime = Field(description="When it was given or reserved.")
    action_type: ActionType = Field(description="offer_incentive or apply_goodwill_credit.")
    kind: str = Field(description="Incentive kind, e.g. percent_discount, or goodwill_credit.")
    value: Decimal = Field(description="Percent, money or months, as the kind says.")
    currency: str | None = Field(description="ISO 4217 code for money values, else null.")


class PolicyContext(_Frozen):
    now: AwareDatetime
    customer: CustomerFacts
    interaction_channel: Channel | None = Field(
        default=None, description="Channel the customer is on right now, if inbound."
    )
    inbound: bool = False
    recent_contacts: list[ContactFact] = Field(default_factory=list)
    recent_incentives: list[IncentiveFact] = Field(default_factory=list)

    def has_consent(self, channel: Channel, purpose: Purpose) -> bool:
        return any(
            c.granted
            for c in self.customer.consents
            if c.channel == channel and c.purpose == purpose
        )

    def contacts_since(self, window: timedelta, channel: Channel | None = None) -> int:
        since = self.now - window
        return sum(
            1
            for c in self.recent_contacts
            if c.ts > since and (channel is None or c.channel == channel)
        )

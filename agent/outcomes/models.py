"""What happened after a decision: outcome rows, the decision's state, derived outcomes.

Outcomes are rows of their own that point at a decision; the decision record is never updated.
The state of a decision (recommended, executed, declined, expired) and the outcomes its
customer's later behaviour implies (repeat_contact, transferred, no_response) are derived from
those rows, the clock and later events, never stored.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tools import Currency, Identifier, Money

__all__ = [
    "EXECUTION_TYPES",
    "RESPONSE_TYPES",
    "DecisionState",
    "DerivedOutcome",
    "DerivedType",
    "Lifecycle",
    "OutcomeIn",
    "OutcomeRecordV1",
    "OutcomeType",
    "OutcomeValue",
]


class OutcomeType(StrEnum):
    """What a caller reports about a decision's chosen action."""

    EXECUTED = "executed"
    """The action was carried out (sent, offered, called, handed off)."""
    DECLINED = "declined"
    """The caller chose not to carry it out."""
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CONVERTED = "converted"
    RESOLVED = "resolved"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    NO_RESPONSE = "no_response"
    """The response window closed with no response (also derived when nobody reports it)."""


RESPONSE_TYPES = frozenset(
    {
        OutcomeType.ACCEPTED,
        OutcomeType.REJECTED,
        OutcomeType.CONVERTED,
        OutcomeType.RESOLVED,
        OutcomeType.COMPLAINED,
        OutcomeType.UNSUBSCRIBED,
    }
)
"""The customer responded: each of these also implies the action was carried out."""

EXECUTION_TYPES = frozenset({OutcomeType.EXECUTED, OutcomeType.NO_RESPONSE, *RESPONSE_TYPES})
"""Reports that mean the action was carried out."""


class DerivedType(StrEnum):
    """Outcomes implied by the customer's later behaviour; never typed by hand."""

    REPEAT_CONTACT = "repeat_contact"
    TRANSFERRED = "transferred"
    NO_RESPONSE = "no_response"


class DecisionState(StrEnum):
    RECOMMENDED = "recommended"
    """Decided, nothing reported yet: it holds a reservation until the TTL passes."""
    EXECUTED = "executed"
    DECLINED = "declined"
    EXPIRED = "expired"
    """Nothing was reported within the reservation TTL: it no longer counts as a contact."""


class OutcomeValue(BaseModel):
    """Money a conversion brought in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Money = Field(description="Amount, at most 2 decimal places.", examples=["49.90"])
    currency: Currency = Field(description="ISO 4217 code.", examples=["EUR"])


Source = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")]


class OutcomeIn(BaseModel):
    """One report about a decision, as a caller sends it."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"id": "crm-77120-exec", "type": "executed", "source": "crm"},
                {
                    "id": "shop-order-5531",
                    "type": "converted",
                    "ts": "2026-11-21T09:12:00Z",
                    "value": {"amount": "49.90", "currency": "EUR"},
                    "source": "shop",
                },
            ]
        },
    )

    id: Identifier = Field(
        description="Your id for this report: sending it again replays the first result, it "
        "never counts twice."
    )
    type: OutcomeType = Field(description="What happened.")
    ts: AwareDatetime | None = Field(
        default=None, description="When it happened (timezone-aware); default: when received."
    )
    value: OutcomeValue | None = Field(
        default=None, description="For `converted` only: what the conversion was worth."
    )
    source: Source | None = Field(
        default=None, description="The system reporting it, e.g. crm, braze, contact-centre."
    )
    note: str | None = Field(default=None, max_length=500, description="Free text for humans.")

    @model_validator(mode="after")
    def _value_only_on_conversions(self) -> Self:
        if self.value is not None and self.type is not OutcomeType.CONVERTED:
            raise ValueError("value is only for converted outcomes")
        return self

    def fingerprint(self) -> str:
        """A digest of the report as sent, to tell a retry from a different report."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class OutcomeRecordV1(BaseModel):
    """One stored outcome row."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = Field(default=1, description="Version of this row's shape.")
    outcome_id: Identifier = Field(description="The caller's id of the report.")
    decision_id: str = Field(description="The decision it is about.")
    customer_id: str = Field(description="The decision's customer.")
    type: OutcomeType = Field(description="What happened.")
    ts: AwareDatetime = Field(description="When it happened.")
    recorded_at: AwareDatetime = Field(description="When nextbest stored it.")
    value: OutcomeValue | None = Field(default=None, description="Conversion value, if any.")
    source: str | None = Field(default=None, description="The reporting system.")
    note: str | None = Field(default=None, description="Free text for humans.")
    fingerprint: str = Field(description="sha256 of the report as sent.")
    caller: str | None = Field(
        default=None, description="The name of the API key that reported it."
    )


class DerivedOutcome(BaseModel):
    """An outcome the customer's later behaviour implies."""

    model_config = ConfigDict(frozen=True)

    type: DerivedType = Field(description="What the behaviour implies.")
    ts: AwareDatetime = Field(description="When it became true.")
    evidence: str = Field(description="What it rests on: a decision id, an event id, a window.")


class Lifecycle(BaseModel):
    """A decision's life after the response, as of a moment."""

    model_config = ConfigDict(frozen=True)

    state: DecisionState = Field(description="recommended, executed, declined or expired.")
    as_of: AwareDatetime = Field(description="The moment the state and derivations hold for.")
    outcomes: list[OutcomeRecordV1] = Field(description="Reported outcomes, oldest first.")
    derived: list[DerivedOutcome] = Field(description="Outcomes implied by later behaviour.")
    reservation_expires_at: AwareDatetime | None = Field(
        description="Until when an unreported recommendation holds its contact or spend "
        "(None for briefings, which reserve nothing)."
    )
    response_window_closes_at: AwareDatetime | None = Field(
        description="When an executed action with no response counts as no_response "
        "(None for action types without a window)."
    )
    first_contact_resolution: bool | None = Field(
        description="For an inbound contact: True when no repeat contact on its topic came "
        "within the window, False when one came, None while the window is open or for other "
        "decisions."
    )

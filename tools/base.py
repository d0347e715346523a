"""Shared vocabulary of the action catalog: channels, purposes, risk, tool metadata.

This package imports nothing of the project: it is the bottom layer.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "ActionType",
    "AttributeKey",
    "Channel",
    "Currency",
    "FiniteFloat",
    "Identifier",
    "Money",
    "Purpose",
    "RiskLevel",
    "Scalar",
    "ToolArgs",
    "ToolCallBase",
    "ToolSpec",
]


class ActionType(StrEnum):
    SEND_MESSAGE = "send_message"
    OFFER_INCENTIVE = "offer_incentive"
    APPLY_GOODWILL_CREDIT = "apply_goodwill_credit"
    SCHEDULE_CALLBACK = "schedule_callback"
    HANDOFF_TO_AGENT = "handoff_to_agent"
    RECOMMEND_ARTICLE = "recommend_article"
    OPEN_CASE = "open_case"
    UPDATE_CASE = "update_case"
    HOLD_OUTREACH = "hold_outreach"
    NO_ACTION = "no_action"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    IN_APP = "in_app"
    WEB = "web"
    CHAT = "chat"
    PHONE = "phone"


class Purpose(StrEnum):
    """Why we contact a customer; consent is given per channel *and* purpose."""

    SERVICE = "service"
    MARKETING = "marketing"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")]
"""Ids of templates, queues, articles, cases: 1-64 chars, no spaces."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 code, e.g. ``EUR``."""

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]

AttributeKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
"""The name of a free attribute or event property."""

Scalar = Annotated[str, StringConstraints(max_length=1000)] | int | FiniteFloat | bool | None
"""A free attribute or event property value: a number, a flag, or text up to 1,000 characters
(no nesting, so nothing can grow without bound inside a record)."""
"""A float that is a number: JSON's Infinity and NaN are refused at the edge."""

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class ToolArgs(BaseModel):
    """Base of every tool's argument model: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ToolSpec(BaseModel):
    """Metadata of one tool, for guards, arbitration and LLM tool schemas."""

    model_config = ConfigDict(frozen=True)

    name: ActionType
    description: str
    purpose: Purpose
    risk: RiskLevel
    base_cost: Decimal = Field(default=Decimal("0"), description="Operating cost per use.")
    reversible: bool
    contacts_customer: bool = Field(
        description="Whether executing it reaches out to the customer (counts toward contact caps)."
    )
    promises: tuple[str, ...] = Field(
        default=(),
        description="Lower-case phrases by which words said to a customer promise this action "
        "(a talk-track sentence with one of them speaks of it).",
    )
    stands_for: ActionType | None = Field(
        default=None,
        description="The action this one carries out in another form: a playbook that "
        "recommends that action recommends this one too (update_case for open_case).",
    )


class ToolCallBase(BaseModel):
    """A typed call of one tool: ``type`` discriminates, ``args`` is the tool's model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: ClassVar[ToolSpec]

    @property
    def channel(self) -> Channel | None:
        """The channel through which this action reaches the customer, if any."""
        args = getattr(self, "args", None)
        value = getattr(args, "channel", None)
        return Channel(value) if value is not None else None

    @property
    def purpose(self) -> Purpose:
        args = getattr(self, "args", None)
        value = getattr(args, "purpose", None)
        return Purpose(value) if value is not None else self.spec.purpose

    @property
    def cost(self) -> Decimal:
        """Money this action gives away or costs to run (credits, discounts in currency)."""
        return self.spec.base_cost

    def plain(self) -> str:
        """What the action does, in words for a support agent: no field names, no syntax
        (``book a phone callback from the claims team``)."""
        return self.spec.description.rstrip(".").lower()

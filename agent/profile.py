"""The unified customer profile, as the agent reads it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tools import Channel, Currency, FiniteFloat, Identifier, Purpose

__all__ = [
    "Case",
    "CaseStatus",
    "Consent",
    "CustomerId",
    "Identity",
    "Product",
    "Profile",
    "Tier",
]

CustomerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")]
Scalar = str | int | FiniteFloat | bool | None


class Tier(StrEnum):
    STANDARD = "standard"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class CaseStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Identity(_Frozen):
    kind: Literal["email", "phone", "crm", "app_user", "loyalty", "device", "other"]
    value: str = Field(min_length=1, max_length=200)


class Product(_Frozen):
    id: Identifier
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["product", "subscription", "policy", "booking", "account"] = "subscription"
    status: Literal["trial", "active", "past_due", "cancelled", "expired", "pending"] = "active"
    start_date: date | None = None
    end_date: date | None = Field(default=None, description="Renewal, expiry or travel date.")
    monthly_price: Decimal | None = Field(default=None, ge=0)


class Consent(_Frozen):
    channel: Channel
    purpose: Purpose
    granted: bool
    updated_at: AwareDatetime | None = None


class Case(_Frozen):
    id: Identifier
    type: Literal[
        "complaint", "billing_dispute", "claim", "technical", "fraud", "account_access", "general"
    ]
    status: CaseStatus = CaseStatus.OPEN
    opened_at: AwareDatetime
    summary: str = Field(default="", max_length=1000)


class Profile(_Frozen):
    customer_id: CustomerId
    name: str | None = Field(default=None, max_length=200)
    identities: list[Identity] = Field(default_factory=list, max_length=50)
    tier: Tier = Tier.STANDARD
    customer_since: date | None = None
    lifetime_value: Decimal = Field(default=Decimal("0"), ge=0)
    currency: Currency = "EUR"
    segment: str | None = Field(default=None, max_length=64)
    products: list[Product] = Field(default_factory=list, max_length=200)
    consents: list[Consent] = Field(default_factory=list, max_length=100)
    timezone: str = "UTC"
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    preferred_channel: Channel | None = None
    open_cases: list[Case] = Field(default_factory=list, max_length=200)
    vulnerability_flags: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    ] = Field(default_factory=list, max_length=20)
    churn_risk: float | None = Field(default=None, ge=0, le=1)
    nps: int | None = Field(default=None, ge=0, le=10)
    csat: int | None = Field(default=None, ge=1, le=5)
    attributes: dict[str, Scalar] = Field(default_factory=dict, max_length=100)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def tenure_months(self, now: datetime) -> int | None:
        if self.customer_since is None:
            return None
        today = now.date()
        return max(
            0,
            (today.year - self.customer_since.year) * 12 + today.month - self.customer_since.month,
        )

    def has_consent(self, channel: Channel, purpose: Purpose) -> bool:
        """Explicit opt-in only: no record means no consent."""
        return any(
            c.granted for c in self.consents if c.channel == channel and c.purpose == purpose
        )

    @property
    def active_cases(self) -> list[Case]:
        return [c for c in self.open_cases if c.status.is_open]

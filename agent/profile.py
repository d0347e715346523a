"""The unified customer profile, as the agent reads it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from tools import AttributeKey, Channel, Currency, Identifier, Purpose, Scalar

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
    kind: Literal["email", "phone", "crm", "app_user", "loyalty", "device", "other"] = Field(
        description="What kind of identifier this is."
    )
    value: str = Field(
        min_length=1,
        max_length=200,
        description="The identifier, e.g. arjun.mehta@example.nl or CRM-NL-0230981.",
    )


class Product(_Frozen):
    id: Identifier = Field(description="Product or contract id, e.g. sub-PREM-73310.")
    name: str = Field(min_length=1, max_length=120, description="Name as the customer knows it.")
    kind: Literal["product", "subscription", "policy", "booking", "account"] = Field(
        default="subscription", description="What sort of holding this is."
    )
    status: Literal["trial", "active", "past_due", "cancelled", "expired", "pending"] = Field(
        default="active", description="Where the holding stands now."
    )
    start_date: date | None = Field(
        default=None, description="When it started (YYYY-MM-DD), if known."
    )
    end_date: date | None = Field(default=None, description="Renewal, expiry or travel date.")
    monthly_price: Decimal | None = Field(
        default=None, ge=0, description="Price per month in the profile's currency, e.g. 11.99."
    )


class Consent(_Frozen):
    channel: Channel = Field(description="The channel the consent is for.")
    purpose: Purpose = Field(description="service or marketing: consent is given per purpose.")
    granted: bool = Field(description="True for an opt-in; false for an explicit opt-out.")
    updated_at: AwareDatetime | None = Field(
        default=None, description="When the customer last set it (timezone-aware), if known."
    )


class Case(_Frozen):
    id: Identifier = Field(description="Case id in the case system, e.g. case-CMP-2026-20455.")
    type: Literal[
        "complaint", "billing_dispute", "claim", "technical", "fraud", "account_access", "general"
    ] = Field(
        description="What the case is about; the policy pack may suppress offers while it is open."
    )
    status: CaseStatus = Field(
        default=CaseStatus.OPEN, description="open, pending and escalated count as open."
    )
    opened_at: AwareDatetime = Field(description="When the case was opened (timezone-aware).")
    summary: str = Field(default="", max_length=1000, description="Short summary for humans.")


class Profile(_Frozen):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "c13_amehta",
                    "name": "Arjun Mehta",
                    "identities": [{"kind": "email", "value": "arjun.mehta@example.nl"}],
                    "tier": "gold",
                    "customer_since": "2019-11-05",
                    "lifetime_value": "5410.10",
                    "currency": "EUR",
                    "segment": "shop_heavy",
                    "products": [
                        {
                            "id": "sub-PREM-73310",
                            "name": "Northwind Premium (annual)",
                            "kind": "subscription",
                            "status": "active",
                            "start_date": "2026-03-01",
                            "end_date": "2027-03-01",
                            "monthly_price": "11.99",
                        }
                    ],
                    "consents": [
                        {
                            "channel": "email",
                            "purpose": "service",
                            "granted": True,
                            "updated_at": "2026-01-15T10:00:00Z",
                        },
                        {
                            "channel": "sms",
                            "purpose": "marketing",
                            "granted": False,
                            "updated_at": "2026-01-15T10:00:00Z",
                        },
                    ],
                    "timezone": "Europe/Amsterdam",
                    "language": "en",
                    "preferred_channel": "email",
                    "churn_risk": 0.24,
                    "nps": 8,
                    "attributes": {"shop_orders_12m": 22},
                }
            ]
        },
    )

    customer_id: CustomerId = Field(
        description="Your stable id of the customer: 1-64 chars, no spaces, e.g. c13_amehta."
    )
    name: str | None = Field(default=None, max_length=200, description="Full name, if known.")
    identities: list[Identity] = Field(
        default_factory=list, max_length=50, description="Other ids: email, phone, CRM id, ..."
    )
    tier: Tier = Field(default=Tier.STANDARD, description="Loyalty tier; sets incentive limits.")
    customer_since: date | None = Field(
        default=None, description="First day as a customer (YYYY-MM-DD), if known."
    )
    lifetime_value: Decimal = Field(
        default=Decimal("0"), ge=0, description="Revenue to date, in `currency`, e.g. 5410.10."
    )
    currency: Currency = Field(
        default="EUR", description="ISO 4217 code of the customer's money amounts."
    )
    segment: str | None = Field(
        default=None, max_length=64, description="Marketing segment, e.g. shop_heavy."
    )
    products: list[Product] = Field(
        default_factory=list, max_length=200, description="What the customer holds."
    )
    consents: list[Consent] = Field(
        default_factory=list,
        max_length=100,
        description="Contact consents per channel and purpose; no entry means no consent.",
    )
    timezone: str = Field(
        default="UTC", description="IANA zone for quiet hours, e.g. Europe/Amsterdam."
    )
    language: str = Field(
        default="en",
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="BCP 47 language tag, e.g. en or nl-NL.",
    )
    preferred_channel: Channel | None = Field(
        default=None, description="Where the customer likes to be reached, if stated."
    )
    open_cases: list[Case] = Field(
        default_factory=list,
        max_length=200,
        description="Cases; open, pending and escalated ones count as open.",
    )
    vulnerability_flags: list[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    ] = Field(
        default_factory=list,
        max_length=20,
        description="Flags such as bereavement; the policy pack may suppress marketing for them.",
    )
    churn_risk: float | None = Field(
        default=None, ge=0, le=1, description="Model churn probability, 0..1, if scored."
    )
    nps: int | None = Field(default=None, ge=0, le=10, description="Last NPS answer, 0-10.")
    csat: int | None = Field(default=None, ge=1, le=5, description="Last CSAT answer, 1-5.")
    attributes: dict[AttributeKey, Scalar] = Field(
        default_factory=dict,
        max_length=100,
        description="Other facts as scalars, for playbook and policy conditions.",
    )

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

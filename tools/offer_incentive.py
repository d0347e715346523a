"""offer_incentive: a discount or free period, a marketing lever."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Self

from pydantic import Field, model_validator

from tools.base import (
    ActionType,
    Channel,
    Currency,
    Identifier,
    Purpose,
    RiskLevel,
    ToolArgs,
    ToolCallBase,
    ToolSpec,
)

__all__ = ["IncentiveKind", "OfferIncentive", "OfferIncentiveArgs"]

IncentiveKind = Literal["percent_discount", "amount_discount", "free_months"]


class OfferIncentiveArgs(ToolArgs):
    kind: IncentiveKind = Field(description="Kind of incentive.")
    value: Decimal = Field(
        gt=0,
        max_digits=10,
        decimal_places=2,
        description="Percent (percent_discount), money (amount_discount) or months (free_months).",
    )
    currency: Currency | None = Field(
        default=None, description="ISO 4217 currency; required for amount_discount."
    )
    channel: Literal[
        Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.IN_APP, Channel.CHAT, Channel.PHONE
    ] = Field(description="Channel the offer is presented on.")
    offer_id: Identifier = Field(description="Offer catalog id.")
    expires_in_days: int = Field(default=14, ge=1, le=90, description="Validity of the offer.")

    @model_validator(mode="after")
    def _check_units(self) -> Self:
        if self.kind == "amount_discount" and self.currency is None:
            raise ValueError("currency is required for amount_discount")
        if self.kind == "percent_discount" and self.value > 100:
            raise ValueError("percent_discount value must be <= 100")
        if self.kind == "free_months" and self.value != self.value.to_integral_value():
            raise ValueError("free_months value must be a whole number")
        return self


class OfferIncentive(ToolCallBase):
    """Offer the customer an incentive (discount or free months)."""

    spec = ToolSpec(
        name=ActionType.OFFER_INCENTIVE,
        description="Offer the customer an incentive (discount or free months).",
        purpose=Purpose.MARKETING,
        risk=RiskLevel.MEDIUM,
        reversible=False,
        contacts_customer=True,
        promises=("discount", "% off", "free month", "special offer", "offer you"),
    )
    type: Literal[ActionType.OFFER_INCENTIVE] = Field(
        default=ActionType.OFFER_INCENTIVE,
        description="Which action this is: always offer_incentive.",
    )
    args: OfferIncentiveArgs = Field(description="The action's arguments.")

    @property
    def purpose(self) -> Purpose:
        return Purpose.MARKETING

    def plain(self) -> str:
        args = self.args
        if args.kind == "free_months":
            months = int(args.value)
            what = f"{months} free month" + ("" if months == 1 else "s")
        elif args.kind == "percent_discount":
            what = f"{args.value.normalize():f}% off"
        else:
            what = f"{args.value.normalize():f} {args.currency or ''} off".replace("  ", " ")
        return f"offer {what}"

"""apply_goodwill_credit: money credited to the account to make up for a failure."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from tools.base import (
    ActionType,
    Currency,
    Identifier,
    Money,
    Purpose,
    RiskLevel,
    ToolArgs,
    ToolCallBase,
    ToolSpec,
)

__all__ = ["ApplyGoodwillCredit", "ApplyGoodwillCreditArgs"]


class ApplyGoodwillCreditArgs(ToolArgs):
    amount: Money = Field(gt=0, description="Credit amount.")
    currency: Currency = Field(description="ISO 4217 currency.")
    reason_code: Identifier = Field(description="Why the credit is given, e.g. service_failure.")
    case_id: Identifier | None = Field(default=None, description="Case the credit settles, if any.")


class ApplyGoodwillCredit(ToolCallBase):
    """Credit the customer's account as goodwill for a service failure."""

    spec = ToolSpec(
        name=ActionType.APPLY_GOODWILL_CREDIT,
        description="Credit the customer's account as goodwill for a service failure.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.HIGH,
        reversible=False,
        contacts_customer=False,
        promises=("credit",),
    )
    type: Literal[ActionType.APPLY_GOODWILL_CREDIT] = Field(
        default=ActionType.APPLY_GOODWILL_CREDIT,
        description="Which action this is: always apply_goodwill_credit.",
    )
    args: ApplyGoodwillCreditArgs = Field(description="The action's arguments.")

    @property
    def cost(self) -> Decimal:
        return self.args.amount

    def plain(self) -> str:
        return f"give a goodwill credit of {self.args.amount.normalize():f} {self.args.currency}"

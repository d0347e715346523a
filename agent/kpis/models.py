"""Journey KPIs: the query, the sums a store returns per group, and the report built on them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ApprovalKpi",
    "DenialCount",
    "GroupBy",
    "GroupSums",
    "KpiGroup",
    "KpiQuery",
    "KpiReport",
    "Mean",
    "MoneyTotal",
    "Rate",
]

GroupBy = Literal["journey", "playbook", "action_type", "channel", "segment", "mode"]


class KpiQuery(BaseModel):
    """Which decisions to measure: created in [since, until), optionally of one journey/kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    since: AwareDatetime = Field(description="Decisions created at or after this moment.")
    until: AwareDatetime = Field(description="...and before this one.")
    journey: str | None = Field(default=None, description="Only this journey.")
    kind: Literal["decision", "briefing"] | None = Field(
        default=None, description="Only decisions or only briefings (default: both)."
    )
    group_by: GroupBy = Field(default="journey", description="One row per value of this.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.since >= self.until:
            raise ValueError("since must be before until")
        return self


@dataclass(slots=True)
class GroupSums:
    """What a store adds up for one group; every figure is a sum, so groups add up too."""

    decisions: int = 0
    executed: int = 0
    declined: int = 0
    expired: int = 0
    accepted: int = 0
    converted: int = 0
    responded: int = 0
    no_response: int = 0
    contacts: int = 0
    contacts_known: int = 0
    """Contacts whose repeat window has closed: only those can be judged without bias."""
    repeated: int = 0
    """Of those, the ones with a repeat contact."""
    transfers: int = 0
    transfers_squared: int = 0
    effort_sum: float = 0.0
    effort_squares: float = 0.0
    safe_defaults: int = 0
    approvals: int = 0
    value_cents: dict[str, int] = field(default_factory=dict)
    """Converted value per currency, in cents."""
    denials: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """(policy_id, reason_code) -> (proposals denied, decisions with such a denial)."""
    turnarounds_s: list[float] = field(default_factory=list)
    """For decisions that needed approval: seconds until a reviewer approved or rejected."""

    def add(self, other: GroupSums) -> None:
        """Add another group's sums to these (groups partition decisions, so all add up)."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, (int, float)):
                setattr(self, item.name, mine + theirs)
        for currency, cents in other.value_cents.items():
            self.value_cents[currency] = self.value_cents.get(currency, 0) + cents
        for key, (proposals, decisions) in other.denials.items():
            old = self.denials.get(key, (0, 0))
            self.denials[key] = (old[0] + proposals, old[1] + decisions)
        self.turnarounds_s.extend(other.turnarounds_s)


class Rate(BaseModel):
    """k of n, with its Wilson 95% interval (null figures when n is 0)."""

    model_config = ConfigDict(frozen=True)

    k: int = Field(description="How many had it.")
    n: int = Field(description="Out of how many it could be judged for.")
    value: float | None = Field(description="k / n.")
    ci_low: float | None = Field(description="Wilson 95% interval, low end.")
    ci_high: float | None = Field(description="Wilson 95% interval, high end.")


class Mean(BaseModel):
    """A mean of n values, with a normal-approximation 95% interval."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(description="How many values.")
    value: float | None = Field(description="Their mean.")
    ci_low: float | None = Field(description="95% interval, low end.")
    ci_high: float | None = Field(description="95% interval, high end.")


class MoneyTotal(BaseModel):
    model_config = ConfigDict(frozen=True)

    currency: str = Field(description="ISO 4217 code.")
    amount: Decimal = Field(description="The sum of converted values in it.")


class DenialCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    policy_id: str = Field(description="The guard that denied.")
    reason_code: str = Field(description="Its stable reason code.")
    proposals: int = Field(description="Proposals it denied (the blocked attempts).")
    decisions: int = Field(description="Decisions with at least one such denial.")


class ApprovalKpi(BaseModel):
    model_config = ConfigDict(frozen=True)

    required: Rate = Field(description="Decisions whose chosen action needed approval.")
    released: int = Field(
        description="Of those, how many a reviewer approved or rejected (expired ones not)."
    )
    turnaround_median_s: float | None = Field(
        description="Median seconds from the decision to the reviewer's verdict."
    )
    turnaround_p90_s: float | None = Field(description="90th percentile of the same.")


class KpiGroup(BaseModel):
    """The KPIs of one group (or of all decisions)."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="The group's value; (none) where it is not set.")
    decisions: int = Field(description="Decisions (and briefings) created in the window.")
    execution: Rate = Field(
        description="Executed, of the decisions whose fate is known: executed, declined, or "
        "expired unreported (a briefing nobody reported on is a preview, not counted, and a "
        "decision that waited for approval has its fate in the decision it released)."
    )
    acceptance: Rate = Field(description="Accepted or converted, of the executed.")
    conversion: Rate = Field(description="Converted, of the executed.")
    no_response: Rate = Field(
        description="No response, of the executed decisions whose response window has closed "
        "(action types without a window are not judged)."
    )
    value: list[MoneyTotal] = Field(description="Converted value, per currency.")
    repeat_contact: Rate = Field(
        description="Inbound contacts followed by another on the same topic within the repeat "
        "window, of the contacts whose window has closed (younger ones cannot be judged "
        "without bias)."
    )
    first_contact_resolution: Rate = Field(
        description="Inbound contacts with no repeat within the window (same denominator)."
    )
    transfers_per_contact: Mean = Field(
        description="Transfer events within the transfer window after an inbound contact."
    )
    effort: Mean = Field(description="Mean customer effort score (0..1, from the signals).")
    safe_default: Rate = Field(description="Decisions where no proposal survived the guards.")
    approval: ApprovalKpi = Field(description="Approval need and turnaround.")
    denials: list[DenialCount] = Field(
        description="Guard denials per policy and reason code, most frequent first."
    )


class KpiReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    since: datetime = Field(description="Start of the window (inclusive).")
    until: datetime = Field(description="End of the window (exclusive).")
    as_of: datetime = Field(description="The moment windows and reservations were judged at.")
    group_by: GroupBy = Field(description="What each group row is.")
    journey: str | None = Field(description="The journey filter, if any.")
    kind: str | None = Field(description="The kind filter, if any.")
    repeat_contact_days: int = Field(description="The repeat-contact window used.")
    overall: KpiGroup = Field(description="Every decision in the window together.")
    groups: list[KpiGroup] = Field(description="One row per group, most decisions first.")

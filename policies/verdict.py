"""What a guard says about one proposal, and what all guards say together."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from tools import ActionCall

__all__ = ["Evaluation", "Outcome", "ReasonCode", "Verdict"]


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    MODIFY = "modify"
    REQUIRE_APPROVAL = "require_approval"


class ReasonCode(StrEnum):
    """Stable reason codes; labels for humans live in each verdict's message."""

    OK = "ok"
    NOT_APPLICABLE = "not_applicable"
    CONSENT_MISSING = "consent_missing"
    QUIET_HOURS_DEFERRED = "quiet_hours_deferred"
    QUIET_HOURS_BLOCKED = "quiet_hours_blocked"
    INCENTIVE_OVER_TIER_LIMIT = "incentive_over_tier_limit"
    INCENTIVE_CAPPED = "incentive_capped"
    INCENTIVE_BUDGET_EXHAUSTED = "incentive_budget_exhausted"
    INCENTIVE_NOT_ELIGIBLE = "incentive_not_eligible"
    SUPPRESSED_OPEN_COMPLAINT = "suppressed_open_complaint"
    SUPPRESSED_OPEN_DISPUTE = "suppressed_open_dispute"
    SUPPRESSED_VULNERABLE = "suppressed_vulnerable"
    SUPPRESSED_DATA_REQUEST = "suppressed_data_request"
    CONTACT_CAP_REACHED = "contact_cap_reached"
    APPROVAL_REQUIRED = "approval_required"
    CREDIT_OVER_LIMIT = "credit_over_limit"
    CURRENCY_MISMATCH = "currency_mismatch"
    RULE_MATCHED = "rule_matched"
    CASE_ALREADY_OPEN = "case_already_open"
    CASE_NOT_OPEN = "case_not_open"


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    policy_id: str = Field(description="Guard id, e.g. consent.")
    policy_version: str = Field(description="Version of the policy pack the guard ran under.")
    outcome: Outcome = Field(description="allow, deny, modify or require_approval.")
    reason_code: ReasonCode = Field(description="Stable reason code, e.g. consent_missing.")
    message: str = Field(description="The reason, for humans.")
    modified: ActionCall | None = Field(
        default=None, description="For outcome=modify: the call with patched arguments."
    )


class Evaluation(BaseModel):
    """The combined answer of every guard for one proposal."""

    model_config = ConfigDict(frozen=True)

    outcome: Outcome = Field(description="deny > require_approval > modify > allow.")
    call: ActionCall = Field(description="The call after every modification.")
    verdicts: list[Verdict] = Field(description="One per guard, in the order they ran.")

    @property
    def permitted(self) -> bool:
        return self.outcome is not Outcome.DENY

    @property
    def denials(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.outcome is Outcome.DENY]

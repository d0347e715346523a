"""The policy pack: versioned data (YAML) that parameterizes every guard."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, Self

import cel
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from policies.verdict import ReasonCode
from tools import Channel

__all__ = [
    "DEFAULT_PACK",
    "PolicyPack",
    "PolicyPackError",
    "Rule",
    "TierLimits",
    "load_pack",
]

DEFAULT_PACK = Path(__file__).with_name("packs") / "default.yaml"

_SUPPRESSION_CODES = frozenset(
    {
        ReasonCode.SUPPRESSED_OPEN_COMPLAINT,
        ReasonCode.SUPPRESSED_OPEN_DISPUTE,
        ReasonCode.SUPPRESSED_VULNERABLE,
        ReasonCode.SUPPRESSED_DATA_REQUEST,
    }
)


class PolicyPackError(ValueError):
    """A pack that cannot be loaded; the message names the file and the field."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _wall_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 21:00 as the sexagesimal integer 1260, which pydantic would
    # take for 00:21:00. Only text is a wall time here.
    if not isinstance(value, str | time):
        raise ValueError('write the time as a quoted "HH:MM" string')
    return value


class QuietHoursSection(_Section):
    start: time = time(21, 0)
    end: time = time(8, 0)
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.SMS, Channel.PUSH, Channel.PHONE]
    )

    _times_are_text = field_validator("start", "end", mode="before")(_wall_time)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("start and end are equal: the window would be empty")
        return self


class ConsentSection(_Section):
    exempt_live_channel: bool = True


Limit = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]


class TierLimits(_Section):
    percent: Limit = Field(le=100)
    amount: Limit
    free_months: NonNegativeInt


class BudgetSection(_Section):
    max_incentives: NonNegativeInt = 2
    window_days: int = Field(default=90, ge=1)


class IncentiveSection(_Section):
    tiers: dict[str, TierLimits] = Field(min_length=1)
    budget: BudgetSection = Field(default_factory=BudgetSection)


class GoodwillSection(_Section):
    auto_approve_up_to: Decimal = Field(default=Decimal(25), ge=0)
    deny_above: Decimal = Field(default=Decimal(150), ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.deny_above < self.auto_approve_up_to:
            raise ValueError("deny_above must not be below auto_approve_up_to")
        return self


class SuppressionSection(_Section):
    case_types: dict[str, ReasonCode] = Field(default_factory=dict)
    intents: dict[str, ReasonCode] = Field(
        default_factory=dict,
        description="Intents that suppress selling like an open case does: a dispute or "
        "complaint in the customer's recent words, before (or without) any case.",
    )
    vulnerable: bool = True

    @field_validator("case_types", "intents")
    @classmethod
    def _suppression_codes(cls, value: dict[str, ReasonCode]) -> dict[str, ReasonCode]:
        wrong = {k: str(v) for k, v in value.items() if v not in _SUPPRESSION_CODES}
        if wrong:
            allowed = ", ".join(sorted(_SUPPRESSION_CODES))
            raise ValueError(f"{wrong} are not suppression codes ({allowed})")
        return value


class FrequencySection(_Section):
    window_days: int = Field(default=7, ge=1)
    per_channel: dict[Channel, NonNegativeInt] = Field(default_factory=dict)


class Rule(_Section):
    """A declarative rule: when the CEL condition holds, the outcome applies.

    The condition is compiled when the pack loads, so a syntax error is a load error.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    when: str = Field(min_length=1)
    outcome: Literal["deny", "require_approval"]
    reason_code: ReasonCode = ReasonCode.RULE_MATCHED
    message: str = Field(min_length=1)
    owner: str | None = Field(
        default=None, min_length=1, description="Who answers for the rule (a team's address)."
    )
    review_by: date | None = Field(default=None, description="When it is next reviewed.")

    _program: cel.Program | None = PrivateAttr(default=None)

    @field_validator("when")
    @classmethod
    def _compiles(cls, expr: str, info: ValidationInfo) -> str:
        try:
            cel.compile(expr)
        except ValueError as exc:
            rule_id = info.data.get("id", "?")
            raise ValueError(f"rule {rule_id!r}: invalid CEL condition: {exc}") from None
        return expr

    def model_post_init(self, context: object, /) -> None:
        self._program = cel.compile(self.when)

    @property
    def program(self) -> cel.Program:
        """The compiled condition (compiled again only if ``when`` was replaced by a copy)."""
        if self._program is None or self._program.source != self.when:
            self._program = cel.compile(self.when)
        return self._program


class PolicyPack(_Section):
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")
    version: str = Field(
        pattern=r"^\d{4}\.\d{1,2}\.\d{1,4}$", description='Calendar version, e.g. "2026.11.1".'
    )
    consent: ConsentSection = Field(default_factory=ConsentSection)
    quiet_hours: QuietHoursSection = Field(default_factory=QuietHoursSection)
    incentive_limits: IncentiveSection
    goodwill_credit: GoodwillSection = Field(default_factory=GoodwillSection)
    suppression: SuppressionSection = Field(default_factory=SuppressionSection)
    frequency_caps: FrequencySection = Field(default_factory=FrequencySection)
    rules: list[Rule] = Field(default_factory=list)
    owner: str | None = Field(
        default=None,
        min_length=1,
        description="Who answers for the pack's built-in guards (consent, quiet hours, caps, "
        "limits, suppression, approval thresholds); each rule names its own.",
    )
    review_by: date | None = Field(default=None, description="When the pack is next reviewed.")

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return rules

    def tier_limits(self, tier: str) -> TierLimits:
        """The tier's limits; an unknown tier gets the strictest known ones."""
        tiers = self.incentive_limits.tiers
        if tier in tiers:
            return tiers[tier]
        return min(tiers.values(), key=lambda t: (t.percent, t.amount, t.free_months))


def load_pack(path: Path | None = None) -> PolicyPack:
    """Load and validate a pack (None: the packaged default)."""
    source = path or DEFAULT_PACK
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyPackError(f"{source}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PolicyPackError(f"{source}: invalid YAML: {exc}") from None
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        )
        raise PolicyPackError(f"{source}: {problems}") from None

"""The policy pack: versioned data (YAML) that parameterizes every guard."""

from __future__ import annotations

import functools
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import cel
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies.verdict import ReasonCode
from tools import Channel

__all__ = [
    "DEFAULT_PACK",
    "PolicyPack",
    "PolicyPackError",
    "Rule",
    "TierLimits",
    "compiled",
    "load_pack",
]

DEFAULT_PACK = Path(__file__).with_name("packs") / "default.yaml"


class PolicyPackError(ValueError):
    """A pack that cannot be loaded; the message names the file and the field."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConsentSection(_Section):
    exempt_live_channel: bool = True


class QuietHoursSection(_Section):
    start: time = time(21, 0)
    end: time = time(8, 0)
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.SMS, Channel.PUSH, Channel.PHONE]
    )


class TierLimits(_Section):
    percent: Decimal = Field(ge=0, le=100)
    amount: Decimal = Field(ge=0)
    free_months: int = Field(ge=0)


class BudgetSection(_Section):
    max_incentives: int = Field(default=2, ge=0)
    window_days: int = Field(default=90, ge=1)


class IncentiveSection(_Section):
    tiers: dict[str, TierLimits]
    budget: BudgetSection = Field(default_factory=BudgetSection)


class GoodwillSection(_Section):
    auto_approve_up_to: Decimal = Field(default=Decimal(25), ge=0)
    deny_above: Decimal = Field(default=Decimal(150), ge=0)


class SuppressionSection(_Section):
    case_types: dict[str, ReasonCode] = Field(default_factory=dict)
    vulnerable: bool = True


class FrequencySection(_Section):
    window_days: int = Field(default=7, ge=1)
    per_channel: dict[Channel, int] = Field(default_factory=dict)


class Rule(_Section):
    """A declarative rule: when the CEL condition holds, the outcome applies."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    when: str
    outcome: Literal["deny", "require_approval"]
    reason_code: ReasonCode = ReasonCode.RULE_MATCHED
    message: str

    @field_validator("when")
    @classmethod
    def _compiles(cls, expr: str) -> str:
        try:
            compiled(expr)
        except ValueError as exc:
            raise ValueError(f"invalid CEL: {exc}") from None
        return expr


class PolicyPack(_Section):
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")
    version: str = Field(min_length=1, max_length=64)
    consent: ConsentSection = Field(default_factory=ConsentSection)
    quiet_hours: QuietHoursSection = Field(default_factory=QuietHoursSection)
    incentive_limits: IncentiveSection
    goodwill_credit: GoodwillSection = Field(default_factory=GoodwillSection)
    suppression: SuppressionSection = Field(default_factory=SuppressionSection)
    frequency_caps: FrequencySection = Field(default_factory=FrequencySection)
    rules: list[Rule] = Field(default_factory=list)

    def tier_limits(self, tier: str) -> TierLimits:
        """The tier's limits; an unknown tier gets the strictest known ones."""
        tiers = self.incentive_limits.tiers
        if tier in tiers:
            return tiers[tier]
        return min(tiers.values(), key=lambda t: (t.percent, t.amount, t.free_months))


@functools.lru_cache(maxsize=1024)
def compiled(expr: str) -> Any:
    """A compiled CEL program, cached by expression (raises ValueError on bad syntax)."""
    return cel.compile(expr)


def load_pack(path: Path | None = None) -> PolicyPack:
    """Load and validate a pack (None: the packaged default)."""
    source = path or DEFAULT_PACK
    try:
        data = yaml.safe_load(source.read_text())
    except OSError as exc:
        raise PolicyPackError(f"{source}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise PolicyPackError(f"{source}: invalid YAML: {exc}") from None
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyPackError(f"{source}: {problems}") from None

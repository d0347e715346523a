"""What the demo history is made of: how simulated customers respond (data/demo/history.yaml),
the clock each of them lives by, and what a seeding run reports."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from agent.demo import DEMO_DIR
from agent.outcomes import DerivedType
from agent.reviews import ReviewIn
from tools import ActionType

__all__ = [
    "ActionResponse",
    "ApprovalSpec",
    "HistoryReport",
    "HistorySpec",
    "ReviewRule",
    "ReviewSpec",
    "SimulatedClock",
    "load_history_spec",
]


class ActionResponse(BaseModel):
    """How simulated customers respond to one kind of action, once it was carried out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    execute: float = Field(ge=0, le=1)
    accept: float = Field(default=0, ge=0, le=1)
    convert: float = Field(default=0, ge=0, le=1)
    resolve: float = Field(default=0, ge=0, le=1)
    value: tuple[float, float] | None = None
    repeat: float = Field(default=0, ge=0, le=1)
    transfer: float = Field(default=0, ge=0, le=1)
    unsubscribe: float = Field(default=0, ge=0, le=1)


class ReviewRule(BaseModel):
    """Which seeded decisions a CX reviewer looks at, and what they say of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    journey: str
    action_type: ActionType
    derived: DerivedType | None = Field(
        default=None, description="Only decisions whose later behaviour implies this."
    )
    count: int = Field(ge=1, le=50)
    review: ReviewIn


class ReviewSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reviewer: str
    after_days: float = Field(gt=0, le=30, description="How long after a decision it is read.")
    rules: list[ReviewRule] = Field(default_factory=list)


class ApprovalSpec(BaseModel):
    """How the approvers answer decisions that wait for approval, and today's queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    approver: str = Field(description="The approvers' key name, recorded with each verdict.")
    approve: float = Field(ge=0, le=1, description="Share approved.")
    reject: float = Field(ge=0, le=1, description="Share rejected; the rest expire unanswered.")
    answer_minutes: tuple[float, float] = Field(description="How long an answer takes.")
    chase_today: dict[str, float] = Field(
        default_factory=dict,
        description="Archetype -> share of its lookalikes who contact again in the last hours "
        "of the history: what needs approval then is still in the queue when it ends.",
    )
    today_hours: float = Field(default=3, gt=0, le=24)


class HistorySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    days: int = Field(ge=7, le=365)
    lookalikes_per_customer: int = Field(ge=0, le=500)
    episodes_per_lookalike: float = Field(gt=0, le=20)
    reported: float = Field(ge=0, le=1)
    briefing_after_handoff: float = Field(ge=0, le=1)
    chase_after_silence: float = Field(ge=0, le=1)
    newsletter_share: float = Field(ge=0, le=1)
    actions: dict[ActionType, ActionResponse]
    repeat_factor: dict[str, float] = Field(default_factory=dict)
    convert_factor: dict[str, float] = Field(default_factory=dict)
    reasons: dict[str, list[str]] = Field(default_factory=dict)
    reviews: ReviewSpec | None = None
    approvals: ApprovalSpec | None = None


def load_history_spec(demo_dir: Path = DEMO_DIR) -> HistorySpec:
    return HistorySpec.model_validate(yaml.safe_load((demo_dir / "history.yaml").read_text()))


class SimulatedClock:
    """A clock each simulated customer sets for itself: the time lives in a context variable,
    so concurrent lookalikes (asyncio tasks, and the threads they hand work to) each see their
    own moment. Outside any lookalike it reads ``default``."""

    def __init__(self, default: datetime) -> None:
        self._now: ContextVar[datetime] = ContextVar("simulated_now", default=default)

    def __call__(self) -> datetime:
        return self._now.get()

    def set(self, moment: datetime) -> None:
        self._now.set(moment)


@dataclass(slots=True)
class HistoryReport:
    customers: int = 0
    decisions: int = 0
    outcomes: int = 0
    events: int = 0
    reviews: int = 0
    approvals: dict[str, int] = field(default_factory=dict)
    """Approvals requested, by status as the history ends (pending, approved, ...)."""
    skipped: bool = False
    """True when the data directory already held the history (nothing was added)."""

    def add(self, other: HistoryReport) -> None:
        self.decisions += other.decisions
        self.outcomes += other.outcomes
        self.events += other.events
        self.reviews += other.reviews

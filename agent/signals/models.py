"""Signals derived from a profile and its cues; each keeps the evidence it rests on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EffortSignal",
    "Evidence",
    "IntentSignal",
    "JourneySignal",
    "Level",
    "RiskSignal",
    "SentimentSignal",
    "Signals",
]

Level = Literal["low", "medium", "high"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Evidence(_Frozen):
    """One fact a signal rests on: an event, a profile field or the request context."""

    source: Literal["event", "profile", "context"]
    ref: str = Field(description="Event id, or a field path such as profile.churn_risk.")
    detail: str = Field(description="What this fact contributed, for a human.")


class IntentSignal(_Frozen):
    name: str | None = Field(description="Best-matching intent, or None when nothing matched well.")
    journey: str | None
    score: float = Field(description="Cosine similarity of the best match.")
    candidates: list[tuple[str, float]] = Field(default_factory=list, description="Top intents.")
    evidence: list[Evidence] = Field(default_factory=list)


class SentimentSignal(_Frozen):
    compound: float = Field(ge=-1, le=1, description="Recency-weighted VADER compound score.")
    label: Literal["negative", "neutral", "positive"]
    texts_scored: int
    evidence: list[Evidence] = Field(default_factory=list)


class EffortSignal(_Frozen):
    score: float = Field(ge=0, le=1)
    level: Level
    repeat_contacts_7d: int
    transfers: int
    failed_logins: int
    errors: int
    help_dwell_seconds: int
    evidence: list[Evidence] = Field(default_factory=list)


class JourneySignal(_Frozen):
    journey: str | None
    stage: Literal["exploring", "attempting", "blocked", "escalating", "completed", "dormant"]
    evidence: list[Evidence] = Field(default_factory=list)


class RiskSignal(_Frozen):
    churn: float = Field(ge=0, le=1, description="Churn risk after adjusting for cues.")
    level: Level
    factors: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class Signals(_Frozen):
    intent: IntentSignal
    sentiment: SentimentSignal
    effort: EffortSignal
    journey: JourneySignal
    risk: RiskSignal

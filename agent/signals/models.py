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

    source: Literal["event", "profile", "context"] = Field(
        description="Where the fact is: an event, a profile field or the request context."
    )
    ref: str = Field(description="Event id, or a field path such as profile.churn_risk.")
    detail: str = Field(description="What this fact contributed, for a human.")


class IntentSignal(_Frozen):
    name: str | None = Field(description="Best-matching intent, or None when nothing matched well.")
    journey: str | None = Field(description="The journey of that intent, e.g. billing_dispute.")
    score: float = Field(description="Cosine similarity of the best match.")
    candidates: list[tuple[str, float]] = Field(
        default_factory=list, description="Top intents as [name, similarity]."
    )
    evidence: list[Evidence] = Field(default_factory=list, description="What it rests on.")


class SentimentSignal(_Frozen):
    compound: float = Field(
        ge=-1,
        le=1,
        description="Recency-weighted score, -1..1: VADER's compound per text, corrected by "
        "the text's emotion when one is clear.",
    )
    label: Literal["negative", "neutral", "positive"] = Field(
        description="compound in words: negative <= -0.05 < neutral < 0.05 <= positive."
    )
    emotion: str | None = Field(
        default=None,
        description="The feeling read with most weight in those texts (grief, sarcasm, anger, "
        "fear, frustration, joy, gratitude), or None when none is clear.",
    )
    texts_scored: int = Field(description="Customer texts scored (0: neutral by default).")
    evidence: list[Evidence] = Field(default_factory=list, description="What it rests on.")


class EffortSignal(_Frozen):
    score: float = Field(ge=0, le=1, description="Customer effort, 0 (none) to 1 (very high).")
    level: Level = Field(description="The score in words: low < 0.34 <= medium < 0.67 <= high.")
    repeat_contacts_7d: int = Field(
        description="Contacts in the last 7 days, the current inbound one included."
    )
    transfers: int = Field(description="Transfers between agents or queues in the last 7 days.")
    failed_logins: int = Field(description="Failed sign-ins in the last 24 hours.")
    errors: int = Field(description="Errors seen in the last 24 hours.")
    help_dwell_seconds: int = Field(description="Seconds on help pages in the last 24 hours.")
    evidence: list[Evidence] = Field(default_factory=list, description="What it rests on.")


class JourneySignal(_Frozen):
    journey: str | None = Field(description="The journey the customer is on, if one is clear.")
    stage: Literal["exploring", "attempting", "blocked", "escalating", "completed", "dormant"] = (
        Field(description="Where in that journey the customer stands.")
    )
    evidence: list[Evidence] = Field(default_factory=list, description="What it rests on.")


class RiskSignal(_Frozen):
    churn: float = Field(ge=0, le=1, description="Churn risk after adjusting for cues.")
    level: Level = Field(description="churn in words: low < 0.4 <= medium < 0.7 <= high.")
    factors: list[str] = Field(
        default_factory=list,
        description="Factors that raised it, e.g. negative_sentiment, high_effort, renewal_due.",
    )
    evidence: list[Evidence] = Field(default_factory=list, description="What it rests on.")


class Signals(_Frozen):
    intent: IntentSignal = Field(description="What the customer is trying to do.")
    sentiment: SentimentSignal = Field(description="How the customer feels, from their texts.")
    effort: EffortSignal = Field(description="How hard it has been for them.")
    journey: JourneySignal = Field(description="Which journey they are on, and at what stage.")
    risk: RiskSignal = Field(description="How likely they are to leave.")

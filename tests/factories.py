"""Builders of valid domain values for tests: real models, sensible defaults, easy overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.embeddings import Calibration
from agent.profile import Profile
from agent.signals.models import (
    EffortSignal,
    IntentSignal,
    JourneySignal,
    RiskSignal,
    SentimentSignal,
    Signals,
)

NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # a Friday afternoon in Europe
CALIBRATION = Calibration(
    intent_threshold=0.45, full_match=0.6, min_relevance=0.2, weak_match=0.3, ambiguous_margin=0.04
)
"""Round levels for planner tests, independent of any model."""


def profile(**overrides: Any) -> Profile:
    data: dict[str, Any] = {
        "customer_id": "cus_test",
        "name": "Test Person",
        "tier": "gold",
        "customer_since": "2019-03-01",
        "timezone": "Europe/Berlin",
        "preferred_channel": "email",
        "consents": [
            {"channel": "email", "purpose": "service", "granted": True},
            {"channel": "email", "purpose": "marketing", "granted": True},
        ],
    }
    data.update(overrides)
    return Profile.model_validate(data)


def signals(
    *,
    intent: str | None = None,
    journey: str | None = None,
    stage: str = "exploring",
    sentiment: str = "neutral",
    effort: str = "low",
    risk: str = "low",
) -> Signals:
    compound = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[sentiment]
    score = {"low": 0.1, "medium": 0.5, "high": 0.9}[effort]
    return Signals(
        intent=IntentSignal(name=intent, journey=journey, score=0.7 if intent else 0.1),
        sentiment=SentimentSignal(compound=compound, label=sentiment, texts_scored=1),  # type: ignore[arg-type]
        effort=EffortSignal(
            score=score,
            level=effort,  # type: ignore[arg-type]
            repeat_contacts_7d=3 if effort == "high" else 0,
            transfers=1 if effort == "high" else 0,
            failed_logins=0,
            errors=0,
            help_dwell_seconds=0,
        ),
        journey=JourneySignal(journey=journey, stage=stage),  # type: ignore[arg-type]
        risk=RiskSignal(churn={"low": 0.2, "medium": 0.5, "high": 0.8}[risk], level=risk),  # type: ignore[arg-type]
    )

"""Deterministic, explainable signals from a profile and its cues."""

from __future__ import annotations

from agent.signals.cues import TextCue, text_cues
from agent.signals.derive import Reading, SignalDeriver
from agent.signals.effort import score_effort
from agent.signals.intent import (
    JOURNEYS,
    IntentCatalogue,
    IntentMatcher,
    IntentSpec,
    load_catalogue,
)
from agent.signals.journey import detect_journey
from agent.signals.models import (
    EffortSignal,
    Evidence,
    IntentSignal,
    JourneySignal,
    Level,
    RiskSignal,
    SentimentSignal,
    Signals,
)
from agent.signals.risk import RiskFactor, score_risk
from agent.signals.sentiment import SentimentScorer

__all__ = [
    "JOURNEYS",
    "EffortSignal",
    "Evidence",
    "IntentCatalogue",
    "IntentMatcher",
    "IntentSignal",
    "IntentSpec",
    "JourneySignal",
    "Level",
    "Reading",
    "RiskFactor",
    "RiskSignal",
    "SentimentScorer",
    "SentimentSignal",
    "SignalDeriver",
    "Signals",
    "TextCue",
    "detect_journey",
    "load_catalogue",
    "score_effort",
    "score_risk",
    "text_cues",
]

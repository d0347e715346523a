"""Sentiment: VADER compound scores of what the customer wrote, weighted towards the recent.

Texts: the stated reason (counted as written now) and customer free text of the last 30 days.
Each text's weight halves every ``half_life`` (3 days); the signal is the weighted mean compound.
Labels follow VADER's conventions: negative <= -0.05 < neutral < 0.05 <= positive.
A few service words VADER's lexicon lacks ('outage', 'overcharged', ...) are added per instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agent.context import RequestContext
from agent.events import Event
from agent.profile import Profile
from agent.signals.cues import TextCue, ago, text_cues
from agent.signals.models import Evidence, SentimentSignal

__all__ = [
    "HALF_LIFE",
    "NEGATIVE_AT",
    "POSITIVE_AT",
    "SENTIMENT_WINDOW",
    "SERVICE_LEXICON",
    "SentimentScorer",
    "sentiment_label",
]

SENTIMENT_WINDOW = timedelta(days=30)
HALF_LIFE = timedelta(days=3)
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.05

SERVICE_LEXICON: Mapping[str, float] = MappingProxyType(
    {
        # Valences on VADER's -4..4 scale, set beside its own 'broken' (-2.1) and 'fail' (-2.5).
        "outage": -2.5,
        "outages": -2.5,
        "overcharged": -2.3,
        "crashed": -1.7,
        "crashing": -1.7,
        "glitch": -1.5,
        "buggy": -1.8,
        "unusable": -2.5,
        "declined": -1.2,
    }
)


def sentiment_label(compound: float) -> Literal["negative", "neutral", "positive"]:
    if compound <= NEGATIVE_AT:
        return "negative"
    if compound >= POSITIVE_AT:
        return "positive"
    return "neutral"


class SentimentScorer:
    """Holds one VADER analyzer (its lexicon loads from disk); build once and reuse."""

    def __init__(
        self, *, half_life: timedelta = HALF_LIFE, lexicon: Mapping[str, float] = SERVICE_LEXICON
    ) -> None:
        self._analyzer = SentimentIntensityAnalyzer()
        self._analyzer.lexicon.update(lexicon)
        self._half_life = half_life

    def compound(self, text: str) -> float:
        return float(self._analyzer.polarity_scores(text)["compound"])

    def score(
        self,
        profile: Profile,
        events: Sequence[Event],
        context: RequestContext,
        now: datetime,
    ) -> SentimentSignal:
        cues = text_cues(
            events, context, now, within=SENTIMENT_WINDOW, newest=None, event_weight=1.0
        )
        return self.score_texts(cues, now, language=profile.language)

    def score_texts(
        self, cues: Sequence[TextCue], now: datetime, *, language: str = "en"
    ) -> SentimentSignal:
        """Recency-weighted mean compound of ``cues`` (each cue's own weight times its decay)."""
        if not cues:
            return SentimentSignal(compound=0.0, label="neutral", texts_scored=0)
        evidence: list[Evidence] = []
        total = 0.0
        weight_sum = 0.0
        for cue in cues:
            compound = self.compound(cue.text)
            age = max(timedelta(0), now - cue.at)
            weight = cue.weight * 0.5 ** (age / self._half_life)
            total += weight * compound
            weight_sum += weight
            when = "now" if cue.source == "context" else ago(cue.at, now)
            evidence.append(cue.evidence(f"compound {compound:+.2f} ({when}, weight {weight:.2f})"))
        mean = round(total / weight_sum, 4) if weight_sum > 0 else 0.0
        mean = min(1.0, max(-1.0, mean))
        if not language.lower().startswith("en"):
            evidence.append(
                Evidence(
                    source="profile",
                    ref="profile.language",
                    detail=f"language {language!r}: VADER is English-only, score is low-confidence",
                )
            )
        return SentimentSignal(
            compound=mean, label=sentiment_label(mean), texts_scored=len(cues), evidence=evidence
        )

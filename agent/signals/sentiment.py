"""Sentiment: what the customer wrote, scored per text and weighted towards the recent.

Texts: the stated reason (counted as written now) and customer free text of the last 30 days.
Each text's score is VADER's compound, corrected by the text's emotion (see
``agent.signals.emotion``): grief, sarcasm, anger, fear and frustration make a text at least
``EMOTION_FLOOR`` negative whatever its polite words; joy and gratitude make one at least that
positive unless VADER reads it strongly negative; a plain request stays neutral unless VADER
reads it strongly. VADER knows English only, so in other languages (the profile's) the emotion
is what speaks. Each text's weight halves every ``half_life`` (3 days);
the signal is the weighted mean. Labels follow VADER's conventions: negative <= -0.05 < neutral
< 0.05 <= positive. A few service words VADER's lexicon lacks ('outage', 'overcharged', ...) are
added per instance.
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
from agent.signals.emotion import EmotionRead
from agent.signals.models import Evidence, SentimentSignal

__all__ = [
    "EMOTION_FLOOR",
    "HALF_LIFE",
    "NEGATIVE_AT",
    "POSITIVE_AT",
    "SENTIMENT_WINDOW",
    "SERVICE_LEXICON",
    "STRONG",
    "SentimentScorer",
    "sentiment_label",
]

SENTIMENT_WINDOW = timedelta(days=30)
HALF_LIFE = timedelta(days=3)
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.05
EMOTION_FLOOR = 0.4
"""How far from neutral a clear emotion puts a text's score, at least."""
STRONG = 0.5
"""A VADER score this negative is not lifted by a positive emotion, and a score this far from
0 stands when the text reads as a plain request: the words win."""

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


def _english(language: str) -> bool:
    return language.lower().startswith("en")


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

    def compound(
        self, text: str, emotion: EmotionRead | None = None, *, language: str = "en"
    ) -> float:
        """VADER's compound for ``text`` (English only: 0 otherwise), corrected by the text's
        ``emotion`` when it is read."""
        vader = (
            float(self._analyzer.polarity_scores(text)["compound"]) if _english(language) else 0.0
        )
        if emotion is None:
            return vader
        if emotion.polarity == "negative":
            return min(vader, -EMOTION_FLOOR)
        if emotion.polarity == "positive":
            return max(vader, EMOTION_FLOOR) if vader > -STRONG else vader
        return vader if abs(vader) >= STRONG else 0.0  # a plain request: "please" is no joy

    @staticmethod
    def cues(events: Sequence[Event], context: RequestContext, now: datetime) -> list[TextCue]:
        """The texts sentiment reads: the reason and customer free text of the last 30 days."""
        return text_cues(
            events, context, now, within=SENTIMENT_WINDOW, newest=None, event_weight=1.0
        )

    def score(
        self,
        profile: Profile,
        events: Sequence[Event],
        context: RequestContext,
        now: datetime,
    ) -> SentimentSignal:
        return self.score_texts(self.cues(events, context, now), now, language=profile.language)

    def score_texts(
        self,
        cues: Sequence[TextCue],
        now: datetime,
        *,
        language: str = "en",
        emotions: Sequence[EmotionRead] | None = None,
    ) -> SentimentSignal:
        """Recency-weighted mean score of ``cues`` (each cue's own weight times its decay).
        ``emotions``, when given, are the cues' own, one per cue."""
        if not cues:
            return SentimentSignal(compound=0.0, label="neutral", texts_scored=0)
        reads: Sequence[EmotionRead | None] = emotions or [None] * len(cues)
        evidence: list[Evidence] = []
        felt: dict[str, float] = {}
        total = 0.0
        weight_sum = 0.0
        for cue, read in zip(cues, reads, strict=True):
            compound = self.compound(cue.text, read, language=language)
            age = max(timedelta(0), now - cue.at)
            weight = cue.weight * 0.5 ** (age / self._half_life)
            total += weight * compound
            weight_sum += weight
            when = "now" if cue.source == "context" else ago(cue.at, now)
            detail = f"compound {compound:+.2f} ({when}, weight {weight:.2f})"
            if read is not None and read.polarity != "neutral":
                felt[read.name] = felt.get(read.name, 0.0) + weight
            if read is not None:
                detail += (
                    f"; reads as {read.name} (p {read.score:.2f}), closest example {read.example!r}"
                )
            evidence.append(cue.evidence(detail))
        mean = round(total / weight_sum, 4) if weight_sum > 0 else 0.0
        mean = min(1.0, max(-1.0, mean))
        if not _english(language):
            evidence.append(
                Evidence(
                    source="profile",
                    ref="profile.language",
                    detail=f"language {language!r}: VADER reads English only; emotions carry it",
                )
            )
        return SentimentSignal(
            compound=mean,
            label=sentiment_label(mean),
            emotion=max(felt, key=lambda name: felt[name]) if felt else None,
            texts_scored=len(cues),
            evidence=evidence,
        )

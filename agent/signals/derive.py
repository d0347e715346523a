"""Derive all signals for one request: built once, then ``derive`` per request (pure, no clock)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from agent.context import RequestContext
from agent.embeddings import Embedder
from agent.events import Event
from agent.profile import Profile
from agent.signals.cues import TextCue, text_cues
from agent.signals.effort import score_effort
from agent.signals.emotion import EmotionCatalogue, EmotionReader, load_emotions
from agent.signals.intent import IntentCatalogue, IntentMatcher, load_catalogue
from agent.signals.journey import detect_journey
from agent.signals.models import Signals
from agent.signals.risk import score_risk
from agent.signals.sentiment import SentimentScorer

__all__ = ["INTENT_EVENT_WEIGHT", "INTENT_NEWEST", "INTENT_WINDOW", "Reading", "SignalDeriver"]

INTENT_WINDOW = timedelta(days=7)
INTENT_NEWEST = 5
INTENT_EVENT_WEIGHT = 0.6


@dataclass(frozen=True, slots=True)
class Reading:
    """The signals, and the texts they read with the vectors the intent matcher embedded
    (row ``i`` of ``vectors`` is ``cues[i]``): retrieval reuses them instead of embedding the
    same words again."""

    signals: Signals
    cues: tuple[TextCue, ...]
    vectors: npt.NDArray[np.float32]


class SignalDeriver:
    """Holds the intent matcher and the emotion reader (examples embedded once each) and the
    VADER scorer."""

    def __init__(
        self,
        embedder: Embedder,
        catalogue: IntentCatalogue | None = None,
        emotions: EmotionCatalogue | None = None,
    ) -> None:
        self._intents = IntentMatcher(embedder, catalogue or load_catalogue())
        self._emotions = EmotionReader(embedder, emotions or load_emotions())
        self._sentiment = SentimentScorer()

    @property
    def intents(self) -> IntentMatcher:
        return self._intents

    @property
    def emotions(self) -> EmotionReader:
        return self._emotions

    @property
    def sentiment(self) -> SentimentScorer:
        return self._sentiment

    def derive(
        self,
        profile: Profile,
        events: Sequence[Event],
        context: RequestContext,
        now: datetime,
    ) -> Signals:
        """Signals as of ``now``: events are sorted by (ts, id) and any after ``now`` ignored."""
        return self.read(profile, events, context, now).signals

    def read(
        self,
        profile: Profile,
        events: Sequence[Event],
        context: RequestContext,
        now: datetime,
    ) -> Reading:
        """:meth:`derive`, keeping the embedded texts: one embedder call per request."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        seen = sorted((e for e in events if e.ts <= now), key=lambda e: (e.ts, e.id))
        cues = text_cues(
            seen,
            context,
            now,
            within=INTENT_WINDOW,
            newest=INTENT_NEWEST,
            event_weight=INTENT_EVENT_WEIGHT,
        )
        felt = SentimentScorer.cues(seen, context, now)
        # One model call for every distinct text read, for the intent and the sentiment.
        texts = list(dict.fromkeys(c.text for c in [*cues, *felt]))
        matrix = self._intents.embed_texts(texts)
        row = {text: i for i, text in enumerate(texts)}
        vectors = matrix[[row[c.text] for c in cues]]
        intent = self._intents.match(cues, vectors)
        sentiment = self._sentiment.score_texts(
            felt,
            now,
            language=profile.language,
            emotions=self._emotions.read(matrix[[row[c.text] for c in felt]]),
        )
        effort = score_effort(seen, context, now)
        journey = detect_journey(seen, context, intent, effort, now)
        risk = score_risk(profile, seen, sentiment, effort, journey, now)
        signals = Signals(
            intent=intent, sentiment=sentiment, effort=effort, journey=journey, risk=risk
        )
        return Reading(signals=signals, cues=tuple(cues), vectors=vectors)

"""Cues the signals read: events inside a time window, and the texts a customer wrote."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from agent.context import RequestContext
from agent.events import Event
from agent.signals.models import Evidence

__all__ = ["TextCue", "ago", "in_window", "text_cues"]


@dataclass(frozen=True, slots=True)
class TextCue:
    """One text to read for intent or sentiment, with the weight it carries and where it is from."""

    text: str
    weight: float
    at: datetime
    source: Literal["event", "context"]
    ref: str

    def evidence(self, detail: str) -> Evidence:
        return Evidence(source=self.source, ref=self.ref, detail=detail)


def in_window(
    events: Iterable[Event], now: datetime, within: timedelta, types: Iterable[str] | None = None
) -> list[Event]:
    """Events with ``now - within <= ts <= now`` (optionally of the given types), in input order."""
    start = now - within
    wanted = None if types is None else frozenset(types)
    return [e for e in events if start <= e.ts <= now and (wanted is None or e.type in wanted)]


def ago(ts: datetime, now: datetime) -> str:
    """A short human age, e.g. '3 h ago', '2 d ago'."""
    seconds = max(0.0, (now - ts).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def text_cues(
    events: Sequence[Event],
    context: RequestContext,
    now: datetime,
    *,
    within: timedelta,
    newest: int | None,
    event_weight: float,
    reason_weight: float = 1.0,
) -> list[TextCue]:
    """The stated reason (as of ``now``) and the newest customer free texts inside ``within``."""
    cues: list[TextCue] = []
    if context.reason and context.reason.strip():
        cues.append(
            TextCue(context.reason.strip(), reason_weight, now, "context", "context.reason")
        )
    texted = [e for e in in_window(events, now, within) if e.text and e.text.strip()]
    texted.sort(key=lambda e: (e.ts, e.id), reverse=True)
    if newest is not None:
        texted = texted[:newest]
    cues.extend(TextCue((e.text or "").strip(), event_weight, e.ts, "event", e.id) for e in texted)
    return cues

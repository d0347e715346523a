"""A playbook's talk track, kept to what the decision permits.

A talk track may be written for the playbook's whole plan; the briefing keeps only the
sentences that speak of the chosen action or of a permitted alternative. A sentence speaks of
an action when it holds one of the tool's ``promises`` phrases ("call you": a callback).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from tools import CATALOG, ActionType

__all__ = ["talk_track_for"]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'"}


def talk_track_for(track: str, speakable: Collection[ActionType]) -> str | None:
    """The playbook's talk track without the sentences that promise an action other than
    the chosen one and its permitted alternatives (``speakable``): a track written for the
    playbook's whole plan must not promise what the guards denied or what was not chosen.
    A sentence speaks of an action when it holds one of the tool's ``promises`` phrases."""
    text = track.strip()
    opening = text[:1]
    closing = _QUOTES.get(opening)
    quoted = closing is not None and len(text) > 1 and text.endswith(closing)
    if quoted:
        text = text[1:-1].strip()
    kept = [
        sentence
        for sentence in _SENTENCE.split(text)
        if sentence and _spoken_of(sentence) <= set(speakable)
    ]
    if not kept:
        return None
    said = " ".join(kept)
    return f"{opening}{said}{closing}" if quoted else said


def _spoken_of(sentence: str) -> set[ActionType]:
    lowered = sentence.lower()
    return {
        action
        for action, tool in CATALOG.items()
        if any(phrase in lowered for phrase in tool.spec.promises)
    }

"""Held out: the words of an eval case must not copy what the service was written with.

A scenario or a labelled utterance that nearly copies an intent example or a playbook sentence
measures recall of the catalogue, not understanding. Two tests of "nearly": token Jaccard at or
above ``JACCARD_AT`` (cheap, run whenever a suite or a set loads), and cosine similarity at or
above ``COSINE_AT`` with the project's embedder (run by the tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from agent.embeddings import Embedder
from agent.playbooks import Playbook
from agent.signals.intent import IntentCatalogue

__all__ = [
    "COSINE_AT",
    "JACCARD_AT",
    "Reference",
    "jaccard",
    "near_copies",
    "references",
    "similar_in_meaning",
    "tokens",
]

JACCARD_AT = 0.6
COSINE_AT = 0.9

_TOKEN = re.compile(r"\w+", re.UNICODE)
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
"""Thai, Japanese kana, CJK ideographs, Hangul: scripts written without spaces between words."""
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def tokens(text: str) -> frozenset[str]:
    """Lower-cased word tokens; a text in a script without spaces gives its characters."""
    if _UNSPACED.search(text):
        return frozenset(c for c in text.lower() if c.isalnum())
    return frozenset(_TOKEN.findall(text.lower()))


def jaccard(a: str, b: str) -> float:
    left, right = tokens(a), tokens(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


@dataclass(frozen=True, slots=True)
class Reference:
    """A text the service was written with, and where it is."""

    text: str
    where: str


def references(catalogue: IntentCatalogue, playbooks: Iterable[Playbook]) -> list[Reference]:
    """Every intent example, and every sentence of every playbook (title, talk track, body)."""
    found = [
        Reference(example, f"{intent.name} example")
        for intent in catalogue.intents
        for example in intent.examples
    ]
    for playbook in playbooks:
        for part in (playbook.title, playbook.talk_track, playbook.body):
            for sentence in _SENTENCE.split(part):
                cleaned = sentence.strip(" \"'#-*")
                if len(tokens(cleaned)) >= 4:
                    found.append(Reference(cleaned, f"playbook {playbook.id}"))
    return found


def near_copies(texts: Sequence[str], refs: Sequence[Reference]) -> list[tuple[str, Reference]]:
    """Each text whose tokens nearly copy a reference (Jaccard >= ``JACCARD_AT``), with it."""
    found = []
    for text in texts:
        copied = next((r for r in refs if jaccard(text, r.text) >= JACCARD_AT), None)
        if copied is not None:
            found.append((text, copied))
    return found


def similar_in_meaning(
    texts: Sequence[str], refs: Sequence[Reference], embedder: Embedder
) -> list[tuple[str, Reference, float]]:
    """Each text whose meaning nearly copies a reference (cosine >= ``COSINE_AT``)."""
    if not texts or not refs:
        return []
    rows = np.array(embedder.embed(list(texts)), dtype=np.float32)
    columns = np.array(embedder.embed([r.text for r in refs]), dtype=np.float32)
    sims = rows @ columns.T
    found = []
    for row, text in enumerate(texts):
        best = int(np.argmax(sims[row]))
        if float(sims[row, best]) >= COSINE_AT:
            found.append((text, refs[best], round(float(sims[row, best]), 3)))
    return found

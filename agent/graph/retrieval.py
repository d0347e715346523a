"""The retrieval query: one vector composed from what the signals already embedded.

The customer's words are embedded once per decision, by the intent matcher; retrieval reuses
those vectors instead of embedding a longer joined string again. The query is the normalized,
weighted sum of

- the stated reason and the two newest free texts (the weights the intent gave them: 1.0 and
  0.6), as the intent matcher embedded them;
- the matched intent's and the journey's names ("unexpected charge", "billing dispute"): a
  journey the caller stated weighs as much as the reason (it is news the words may not carry),
  a derived one and the intent half as much (they restate the words).

The names come from small closed sets (plus the journeys callers state), so a caching embedder
serves them from memory after their first use. ``python -m evals.retrieval`` measures the
query against a labelled set; change the weights only with its figures beside you.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agent.context import RequestContext
from agent.embeddings import Embedder
from agent.signals import Reading

__all__ = ["EMPTY_QUERY", "QueryPart", "query_parts", "query_vector"]

EMPTY_QUERY = "general customer check-in"
"""What is searched for when a request carries no words, no intent and no journey."""
NAME_WEIGHT = 0.5
STATED_JOURNEY_WEIGHT = 1.0
EVENT_TEXTS = 2


@dataclass(frozen=True, slots=True)
class QueryPart:
    text: str
    weight: float
    vector: npt.NDArray[np.float32] | None = None
    """Set when the signals embedded the text already."""


def _name(slug: str) -> str:
    return slug.replace("_", " ")


def query_parts(context: RequestContext, reading: Reading) -> list[QueryPart]:
    """The texts the query is made of, with their weights (and vectors, where known)."""
    signals = reading.signals
    said = list(zip(reading.cues, reading.vectors, strict=True))
    reasons = [QueryPart(c.text, c.weight, v) for c, v in said if c.source == "context"]
    texts = [(c, v) for c, v in said if c.source == "event"]
    texts.sort(key=lambda cv: (cv[0].at, cv[0].ref), reverse=True)
    parts = [*reasons, *(QueryPart(c.text, c.weight, v) for c, v in texts[:EVENT_TEXTS])]
    if signals.intent.name:
        parts.append(QueryPart(_name(signals.intent.name), NAME_WEIGHT))
    if context.journey:
        parts.append(QueryPart(_name(context.journey), STATED_JOURNEY_WEIGHT))
    elif signals.journey.journey:
        parts.append(QueryPart(_name(signals.journey.journey), NAME_WEIGHT))
    return parts or [QueryPart(EMPTY_QUERY, 1.0)]


def query_vector(parts: Sequence[QueryPart], embedder: Embedder) -> list[float]:
    """The parts' weighted sum, unit length; only the parts without a vector are embedded."""
    missing = [p.text for p in parts if p.vector is None]
    fresh = iter(embedder.embed(missing) if missing else [])
    rows = np.array(
        [p.vector if p.vector is not None else next(fresh) for p in parts], dtype=np.float32
    )
    weights = np.array([p.weight for p in parts], dtype=np.float32)
    summed = weights @ rows
    norm = float(np.linalg.norm(summed))
    vector: list[float] = (summed / norm if norm > 1e-12 else rows[0]).tolist()
    return vector

"""Intent: which catalogued intent the customer's words are closest to, by embedding similarity.

Each intent has example phrasings. Its score for one text is the mean cosine similarity of the
text's ``NEAREST`` closest examples of it (steadier than the single closest: one stray example
decides less); across texts the scores are averaged by the texts' weights (the stated reason
1.0, recent free text 0.6). The best intent wins if it clears ``threshold`` and the texts are not
closer to the catalogue's out-of-scope examples (greetings, small talk, other topics) than to
it: off-topic words name no intent instead of the nearest one.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, get_args

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from agent.embeddings import Embedder, calibrated
from agent.signals.cues import TextCue
from agent.signals.models import IntentSignal

__all__ = [
    "JOURNEYS",
    "IntentCatalogue",
    "IntentMatcher",
    "IntentSpec",
    "JourneySlug",
    "load_catalogue",
]

JourneySlug = Literal[
    "billing_dispute",
    "account_access",
    "onboarding",
    "trial_conversion",
    "renewal",
    "cart_recovery",
    "insurance_claim",
    "travel_prearrival",
    "tech_support",
    "cancellation",
    "order_delivery",
    "complaint",
    "general",
]
JOURNEYS: tuple[str, ...] = get_args(JourneySlug)

NEAREST = 3
"""How many of an intent's closest examples its score averages."""

_TOP = 3
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


class IntentSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Slug
    journey: JourneySlug
    description: str = Field(min_length=1, max_length=300)
    examples: tuple[Example, ...] = Field(min_length=4, max_length=32)


class IntentCatalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    intents: tuple[IntentSpec, ...] = Field(min_length=1)
    out_of_scope: tuple[Example, ...] = Field(
        default=(),
        max_length=200,
        description="Things customers write that are no intent (greetings, small talk, other "
        "topics): a text closer to one of these than to any intent's examples names none.",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> IntentCatalogue:
        names = [i.name for i in self.intents]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate intent names: {duplicates!r}")
        if 0 < len(self.out_of_scope) < NEAREST:
            raise ValueError(f"out_of_scope needs none or at least {NEAREST} examples")
        return self

    def get(self, name: str) -> IntentSpec | None:
        return next((i for i in self.intents if i.name == name), None)


def load_catalogue(path: Path | None = None) -> IntentCatalogue:
    """Load and validate a catalogue; the packaged ``intents.yaml`` when ``path`` is None."""
    if path is None:
        raw = resources.files("agent.signals").joinpath("intents.yaml").read_text("utf-8")
    else:
        raw = path.read_text("utf-8")
    return IntentCatalogue.model_validate(yaml.safe_load(raw))


class IntentMatcher:
    """Embeds the catalogue's examples once; ``match`` then embeds only the customer's texts."""

    def __init__(
        self,
        embedder: Embedder,
        catalogue: IntentCatalogue,
        *,
        threshold: float | None = None,
    ) -> None:
        """``threshold``: below it nothing is named; None takes the embedder's own calibrated
        level (``agent.embeddings.calibrated``, tuned on the held-out set: evals/intents)."""
        self._embedder = embedder
        self._catalogue = catalogue
        self._threshold = (
            calibrated(embedder.model_id).intent_threshold if threshold is None else threshold
        )
        self._examples: list[str] = []
        owners: list[int] = []
        for index, intent in enumerate(catalogue.intents):
            self._examples.extend(intent.examples)
            owners.extend([index] * len(intent.examples))
        # The out-of-scope examples are one more block, after the intents'.
        self._examples.extend(catalogue.out_of_scope)
        owners.extend([len(catalogue.intents)] * len(catalogue.out_of_scope))
        self._starts = np.flatnonzero(np.diff(np.array(owners, dtype=np.int64), prepend=-1))
        """Where each block of examples begins: contiguous, in catalogue order."""
        sizes = np.diff(np.append(self._starts, len(owners)))
        width = int(sizes.max())
        self._blocks = np.full((len(sizes), width), len(owners), dtype=np.int64)
        """Each block's example columns, padded with a column that is never near (-1)."""
        for block, (start, size) in enumerate(zip(self._starts, sizes, strict=True)):
            self._blocks[block, :size] = np.arange(start, start + size)
        self._matrix = np.array(embedder.embed(self._examples), dtype=np.float32)

    @property
    def catalogue(self) -> IntentCatalogue:
        return self._catalogue

    @property
    def threshold(self) -> float:
        return self._threshold

    def embed(self, cues: Sequence[TextCue]) -> npt.NDArray[np.float32]:
        """The unit vectors of the cues' texts, one row per cue, in one embedder call."""
        return self.embed_texts([c.text for c in cues])

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The unit vectors of ``texts``, one row each, in one embedder call."""
        if not texts:
            return np.zeros((0, self._matrix.shape[1]), dtype=np.float32)
        return np.array(self._embedder.embed(list(texts)), dtype=np.float32)

    def match(
        self, texts: Sequence[TextCue], vectors: npt.NDArray[np.float32] | None = None
    ) -> IntentSignal:
        """The intent the texts are closest to. ``vectors``, when given, are the texts' own
        (rows of :meth:`embed` over the same cues): nothing is embedded again."""
        keep = [i for i, c in enumerate(texts) if c.text.strip() and c.weight > 0]
        cues = [texts[i] for i in keep]
        if not cues:
            return IntentSignal(name=None, journey=None, score=0.0)
        rows = self.embed(cues) if vectors is None else vectors[keep]
        sims = rows @ self._matrix.T  # (texts, examples); vectors are unit length
        padded = np.concatenate([sims, np.full((len(rows), 1), -1.0, dtype=sims.dtype)], axis=1)
        grouped = padded[:, self._blocks]  # (texts, blocks, examples of the widest block)
        nearest = np.partition(grouped, -NEAREST, axis=2)[:, :, -NEAREST:]
        best = nearest.mean(axis=2)  # (texts, intents [+ off-topic])
        n_intents = len(self._catalogue.intents)
        weights = np.array([c.weight for c in cues], dtype=np.float32)
        combined: npt.NDArray[np.float32] = (weights @ best) / float(weights.sum())
        off_topic = float(combined[n_intents]) if combined.shape[0] > n_intents else -1.0
        # Ties broken by catalogue order, so the result is deterministic.
        order = sorted(range(n_intents), key=lambda i: (-round(float(combined[i]), 6), i))
        candidates = [
            (self._catalogue.intents[i].name, round(float(combined[i]), 4)) for i in order[:_TOP]
        ]
        top = order[0]
        score = round(float(combined[top]), 4)
        winner = self._catalogue.intents[top]
        start = int(self._starts[top])
        best_example = start + np.argmax(sims[:, start : start + len(winner.examples)], axis=1)
        if score < self._threshold:
            verdict = f"; below threshold {self._threshold:.2f}, no intent named"
        elif off_topic >= score:
            verdict = f"; closer to out-of-scope text ({off_topic:.2f}), no intent named"
        else:
            verdict = ""
        matched = not verdict
        evidence = [
            cue.evidence(
                f"closest to {winner.name} example "
                f"{self._examples[int(best_example[row])]!r}: "
                f"its {NEAREST} nearest examples {float(best[row, top]):.2f}, "
                f"weight {cue.weight:g}{verdict}"
            )
            for row, cue in enumerate(cues)
        ]
        if not matched:
            return IntentSignal(
                name=None, journey=None, score=score, candidates=candidates, evidence=evidence
            )
        return IntentSignal(
            name=winner.name,
            journey=winner.journey,
            score=score,
            candidates=candidates,
            evidence=evidence,
        )

"""Emotion: which feeling the customer's words carry, read from their embedding.

Word-counting sentiment fails where it matters most: a bereavement message full of "thank you"
reads positive, sarcasm ("great, another outage") reads positive, and a language other than
English reads neutral. The emotion catalogue (``emotions.yaml``) holds example texts per
feeling, in several languages. At start-up a softmax (multinomial logistic) regression is fitted
on their vectors, deterministically (zero start, full-batch gradient descent); a text's emotion
is the most probable one. On the labelled set it reads better than the nearest example does
(evals/sentiment). The vectors are the ones the intent matcher already embedded: reading emotion
costs one small matrix product, no model run.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from agent.embeddings import Embedder

__all__ = [
    "EmotionCatalogue",
    "EmotionRead",
    "EmotionReader",
    "EmotionSpec",
    "Polarity",
    "load_emotions",
]

Polarity = Literal["negative", "neutral", "positive"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class EmotionSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Slug
    polarity: Polarity
    examples: tuple[Example, ...] = Field(min_length=4, max_length=48)


class EmotionCatalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    emotions: tuple[EmotionSpec, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique_names(self) -> EmotionCatalogue:
        names = [e.name for e in self.emotions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate emotion names: {duplicates!r}")
        return self


def load_emotions(path: Path | None = None) -> EmotionCatalogue:
    """Load and validate a catalogue; the packaged ``emotions.yaml`` when ``path`` is None."""
    if path is None:
        raw = resources.files("agent.signals").joinpath("emotions.yaml").read_text("utf-8")
    else:
        raw = path.read_text("utf-8")
    return EmotionCatalogue.model_validate(yaml.safe_load(raw))


@dataclass(frozen=True, slots=True)
class EmotionRead:
    """One text's emotion, its probability, and the catalogue example closest to the text."""

    name: str
    polarity: Polarity
    score: float
    example: str


_STEPS = 500
_RATE = 2.0
_L2 = 1e-3


def _fit(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], classes: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Softmax regression weights and biases for ``x`` (rows) labelled ``labels``."""
    weights = np.zeros((x.shape[1], classes))
    bias = np.zeros(classes)
    target = np.eye(classes)[labels]
    for _ in range(_STEPS):
        gradient = (_softmax(x @ weights + bias) - target) / len(x)
        weights -= _RATE * (x.T @ gradient + _L2 * weights)
        bias -= _RATE * gradient.sum(axis=0)
    return weights, bias


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    chances: npt.NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return chances


class EmotionReader:
    """Fits the classifier on the catalogue's examples once; ``read`` takes vectors already
    embedded with the same model."""

    def __init__(self, embedder: Embedder, catalogue: EmotionCatalogue) -> None:
        self._catalogue = catalogue
        self._examples = [x for e in catalogue.emotions for x in e.examples]
        labels = np.array([i for i, e in enumerate(catalogue.emotions) for _ in e.examples])
        self._matrix = np.array(embedder.embed(self._examples), dtype=np.float64)
        self._weights, self._bias = _fit(self._matrix, labels, len(catalogue.emotions))

    @property
    def catalogue(self) -> EmotionCatalogue:
        return self._catalogue

    def read(self, vectors: npt.NDArray[np.float32]) -> list[EmotionRead]:
        """The emotion of each row of ``vectors`` (unit vectors of the customer's texts), with
        the catalogue example closest to it as the evidence."""
        if len(vectors) == 0:
            return []
        rows = vectors.astype(np.float64)
        probabilities = _softmax(rows @ self._weights + self._bias)
        closest = np.argmax(rows @ self._matrix.T, axis=1)
        reads = []
        for row, chances in enumerate(probabilities):
            top = int(np.argmax(chances))
            spec = self._catalogue.emotions[top]
            reads.append(
                EmotionRead(
                    name=spec.name,
                    polarity=spec.polarity,
                    score=round(float(chances[top]), 4),
                    example=self._examples[int(closest[row])],
                )
            )
        return reads

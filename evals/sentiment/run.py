"""Sentiment on the labelled set, through the service's own scorer and emotion reader.

Each message is scored as the stated reason of a request (one text, written now), then labelled
negative, neutral or positive as the service labels it. Beside it, VADER alone (what the
service did before the emotions) on the same messages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from agent.signals.cues import TextCue
from agent.signals.derive import SignalDeriver
from agent.signals.sentiment import sentiment_label
from evals.halves import half

__all__ = [
    "ACCURACY_GATE",
    "LABELLED",
    "Figures",
    "Result",
    "SentimentCase",
    "figures",
    "load_set",
    "render",
    "run_set",
]

LABELLED = Path(__file__).with_name("heldout.yaml")
ACCURACY_GATE = 0.85
"""Issue 11: three-way accuracy; and no grief or sarcasm read as positive."""
NEVER_POSITIVE = ("grief", "sarcasm")

Label = Literal["negative", "neutral", "positive"]
_AT = datetime(2026, 1, 1, tzinfo=UTC)


class SentimentCase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
    lang: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$|^mixed$")]
    label: Label
    emotion: str = Field(pattern=r"^[a-z]{3,20}$")
    text: str = Field(min_length=1, max_length=2000)


class SentimentSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    cases: tuple[SentimentCase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> SentimentSet:
        ids = [c.id for c in self.cases]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate case ids")
        return self


def load_set(path: Path = LABELLED) -> SentimentSet:
    return SentimentSet.model_validate(yaml.safe_load(path.read_text("utf-8")))


@dataclass(frozen=True)
class Result:
    case: SentimentCase
    label: Label
    emotion: str | None
    vader: Label

    @property
    def ok(self) -> bool:
        return self.label == self.case.label


@dataclass(frozen=True)
class Figures:
    cases: int
    accuracy: float
    vader_accuracy: float
    read_positive: dict[str, int]
    """Per emotion that must never read positive: how many did."""
    by_emotion: dict[str, tuple[int, float]]
    by_language: dict[str, tuple[int, float]]
    by_half: dict[str, tuple[int, float]]
    """Per half (dev: the method was chosen on it)."""

    def passes(self) -> bool:
        return self.accuracy >= ACCURACY_GATE and not any(self.read_positive.values())


def run_set(cases: tuple[SentimentCase, ...], deriver: SignalDeriver) -> list[Result]:
    cues = [TextCue(c.text, 1.0, _AT, "context", "context.reason") for c in cases]
    reads = deriver.emotions.read(deriver.intents.embed(cues))
    results = []
    for case, cue, read in zip(cases, cues, reads, strict=True):
        signal = deriver.sentiment.score_texts([cue], _AT, language=case.lang, emotions=[read])
        vader = sentiment_label(deriver.sentiment.compound(case.text))
        results.append(Result(case, signal.label, signal.emotion, vader))
    return results


def _by(results: list[Result], key: str) -> dict[str, tuple[int, float]]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        groups[half(result.case.id) if key == "half" else getattr(result.case, key)].append(result)
    return {k: (len(rs), sum(r.ok for r in rs) / len(rs)) for k, rs in sorted(groups.items())}


def figures(results: list[Result]) -> Figures:
    n = len(results)
    return Figures(
        cases=n,
        accuracy=sum(r.ok for r in results) / n,
        vader_accuracy=sum(r.vader == r.case.label for r in results) / n,
        read_positive={
            e: sum(r.case.emotion == e and r.label == "positive" for r in results)
            for e in NEVER_POSITIVE
        },
        by_emotion=_by(results, "emotion"),
        by_language=_by(results, "lang"),
        by_half=_by(results, "half"),
    )


def render(results: list[Result], model_id: str) -> str:
    f = figures(results)

    def groups(figures: dict[str, tuple[int, float]]) -> str:
        return ", ".join(f"{k} {share:.2f} ({n})" for k, (n, share) in figures.items())

    lines = [
        f"labelled sentiment set: {f.cases} messages, embedding model {model_id}",
        f"three-way accuracy {f.accuracy:.3f} (gate >= {ACCURACY_GATE:.2f}); "
        f"VADER alone {f.vader_accuracy:.3f}",
        "read as positive: "
        + ", ".join(f"{e} {count}" for e, count in f.read_positive.items())
        + " (gate: 0)",
        f"by emotion: {groups(f.by_emotion)}",
        f"by language: {groups(f.by_language)}",
        f"by half: {groups(f.by_half)} (the method was chosen on dev)",
    ]
    misses = [r for r in results if not r.ok]
    if misses:
        lines.append(f"misses ({len(misses)}):")
        lines += [
            f"  {r.case.id} [{r.case.emotion}]: expected {r.case.label}, got {r.label} "
            f"(read {r.emotion or 'no emotion'}); {r.case.text[:70]!r}"
            for r in misses
        ]
    lines.append("gate: " + ("passes" if f.passes() else "FAILS"))
    return "\n".join(lines)

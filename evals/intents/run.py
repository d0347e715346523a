"""Intent accuracy on the held-out set, through the service's own IntentMatcher.

Each case is matched as a stated reason (one text, weight 1.0), as an orchestrator sends it.
On-topic cases count when the named intent is the labelled one; off-topic cases when nothing
is named.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from agent.signals.cues import TextCue
from agent.signals.intent import IntentMatcher
from evals.halves import half
from evals.intents.cases import IntentCase

__all__ = ["ACCURACY_GATE", "OFF_TOPIC_GATE", "Figures", "Result", "figures", "render", "run_set"]

ACCURACY_GATE = 0.90
"""Issue 11: intent accuracy on on-topic utterances."""
OFF_TOPIC_GATE = 0.95
"""Issue 11: the share of off-topic utterances left unmatched."""

_AT = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Result:
    case: IntentCase
    named: str | None
    score: float

    @property
    def ok(self) -> bool:
        return (self.named or "none") == self.case.intent


@dataclass(frozen=True)
class Figures:
    on_topic: int
    accuracy: float
    off_topic: int
    unmatched: float
    by_language: dict[str, tuple[int, float]]
    by_half: dict[str, tuple[float, float]]
    """Per half (dev: calibration looked at it; test: never): accuracy and unmatched."""

    def passes(self) -> bool:
        return self.accuracy >= ACCURACY_GATE and self.unmatched >= OFF_TOPIC_GATE


def run_set(cases: tuple[IntentCase, ...], matcher: IntentMatcher) -> list[Result]:
    cues = [TextCue(c.text, 1.0, _AT, "context", "context.reason") for c in cases]
    vectors = matcher.embed(cues)
    results = []
    for row, (case, cue) in enumerate(zip(cases, cues, strict=True)):
        signal = matcher.match([cue], vectors[row : row + 1])
        results.append(Result(case, signal.name, signal.score))
    return results


def _share(results: list[Result]) -> float:
    return sum(r.ok for r in results) / len(results) if results else 1.0


def _topics(results: list[Result]) -> tuple[list[Result], list[Result]]:
    return [r for r in results if not r.case.off_topic], [r for r in results if r.case.off_topic]


def figures(results: list[Result]) -> Figures:
    on, off = _topics(results)
    languages: dict[str, list[Result]] = defaultdict(list)
    halves: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        languages[result.case.lang].append(result)
        halves[half(result.case.id)].append(result)
    return Figures(
        on_topic=len(on),
        accuracy=_share(on),
        off_topic=len(off),
        unmatched=_share(off),
        by_language={lang: (len(rs), _share(rs)) for lang, rs in sorted(languages.items())},
        by_half={
            name: tuple(_share(group) for group in _topics(rs))  # type: ignore[misc]
            for name, rs in sorted(halves.items())
        },
    )


def render(results: list[Result], model_id: str) -> str:
    """The figures, accuracy by language and every miss, for a terminal."""
    f = figures(results)
    lines = [
        f"held-out intent set: {len(results)} utterances, embedding model {model_id}",
        f"intent accuracy {f.accuracy:.3f} over {f.on_topic} on-topic "
        f"(gate >= {ACCURACY_GATE:.2f})",
        f"off-topic left unmatched {f.unmatched:.3f} over {f.off_topic} "
        f"(gate >= {OFF_TOPIC_GATE:.2f})",
        "by language: "
        + ", ".join(f"{lang} {share:.2f} ({n})" for lang, (n, share) in f.by_language.items()),
        "by half: "
        + ", ".join(
            f"{name} {accuracy:.3f} / {unmatched:.3f}"
            for name, (accuracy, unmatched) in f.by_half.items()
        )
        + " (accuracy / off-topic unmatched; the calibration was tuned on dev only)",
    ]
    misses = [r for r in results if not r.ok]
    if misses:
        lines.append(f"misses ({len(misses)}):")
        lines += [
            f"  {r.case.id}: expected {r.case.intent}, got {r.named or 'none'} "
            f"({r.score:.2f}); {r.case.text[:70]!r}"
            for r in misses
        ]
    lines.append("gate: " + ("passes" if f.passes() else "FAILS"))
    return "\n".join(lines)

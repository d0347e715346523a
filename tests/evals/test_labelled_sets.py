"""The held-out labelled sets of issue 11: intents in many languages, and sentiment.

Each set is well formed and held out from the catalogues, and its gate holds on the real
multilingual model through the service's own matcher and scorer.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from agent.embeddings import Embedder
from agent.signals.derive import SignalDeriver
from agent.signals.intent import IntentMatcher, load_catalogue
from evals.intents.cases import HELDOUT, load_set
from evals.intents.run import ACCURACY_GATE, OFF_TOPIC_GATE, figures, render, run_set
from evals.sentiment import run as sentiment


@pytest.fixture(scope="module")
def matcher(embedder: Embedder) -> IntentMatcher:
    return IntentMatcher(embedder, load_catalogue())  # the model's own calibrated threshold


def test_the_intent_set_is_large_multilingual_and_covers_every_intent() -> None:
    catalogue = load_catalogue()
    cases = load_set(HELDOUT, catalogue).cases
    languages = Counter(c.lang for c in cases)
    assert len(cases) >= 300
    assert len([lang for lang, n in languages.items() if lang != "en" and n >= 15]) >= 6
    assert {c.intent for c in cases} == {i.name for i in catalogue.intents} | {"none"}
    assert sum(c.off_topic for c in cases) >= 50


def test_a_case_copying_a_catalogue_example_is_refused(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    example = catalogue.intents[0].examples[0]
    path = tmp_path / "set.yaml"
    cases = [
        {"id": "en-1", "lang": "en", "intent": catalogue.intents[0].name, "text": f"{example}!"},
        {"id": "en-2", "lang": "en", "intent": "no_such_intent", "text": "whatever"},
    ]
    path.write_text(yaml.safe_dump({"version": 1, "cases": cases}), encoding="utf-8")

    with pytest.raises(ValueError, match="2 cases refused") as refused:
        load_set(path, catalogue)

    assert f"en-1: {example + '!'!r} copies {catalogue.intents[0].name}" in str(refused.value)
    assert "en-2: unknown intent 'no_such_intent'" in str(refused.value)


def test_intent_gate_holds_on_the_held_out_set(matcher: IntentMatcher) -> None:
    results = run_set(load_set(HELDOUT, matcher.catalogue).cases, matcher)
    got = figures(results)

    assert got.accuracy >= ACCURACY_GATE, render(results, "default")
    assert got.unmatched >= OFF_TOPIC_GATE, render(results, "default")


def test_the_sentiment_set_is_large_and_covers_the_hard_feelings() -> None:
    cases = sentiment.load_set().cases
    emotions = Counter(c.emotion for c in cases)
    assert len(cases) >= 150
    assert emotions["grief"] >= 20
    assert emotions["sarcasm"] >= 20
    assert {c.label for c in cases if c.emotion in ("grief", "sarcasm")} == {"negative"}


def test_sentiment_gate_holds_and_grief_and_sarcasm_never_read_positive(
    embedder: Embedder,
) -> None:
    results = sentiment.run_set(sentiment.load_set().cases, SignalDeriver(embedder))
    got = sentiment.figures(results)

    assert got.read_positive == {"grief": 0, "sarcasm": 0}, sentiment.render(results, "default")
    assert got.accuracy >= sentiment.ACCURACY_GATE, sentiment.render(results, "default")
    assert got.accuracy > got.vader_accuracy  # the emotions earn their place

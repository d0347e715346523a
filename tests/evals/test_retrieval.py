"""The labelled retrieval set: well formed, covering every demo playbook, and the recall gate
held on the real model, the real Chroma store and the service's own decide path."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agent.demo import DEMO_DIR
from agent.playbooks import load_playbooks
from agent.signals import load_catalogue
from evals.retrieval import GATE, CaseResult, RetrievalCase, figures, load_set, render, run_set
from evals.retrieval.__main__ import main

PLAYBOOKS = DEMO_DIR / "playbooks"


def test_the_set_covers_every_demo_playbook_with_known_ids_and_intents() -> None:
    cases = load_set().cases
    ids = {p.id for p in load_playbooks(PLAYBOOKS)}
    intents = {i.name for i in load_catalogue().intents} | {"none"}
    assert len(cases) >= 150
    assert {e for c in cases for e in c.expected} <= ids
    assert {c.intent for c in cases if c.intent is not None} <= intents
    first = Counter(c.expected[0] for c in cases)
    assert set(first) == ids
    assert min(first.values()) >= 4  # roughly even: no playbook left with a token case


def _result(ranked: list[str], *, expected: list[str], intent: str | None = None) -> CaseResult:
    case = RetrievalCase(id="c", reason="r", expected=tuple(expected), intent=intent)
    return CaseResult(
        case=case, retrieved=tuple((p, 0.5) for p in ranked), intent="a", journey=None
    )


@pytest.mark.parametrize(
    ("ranked", "expected", "rank"),
    [
        pytest.param(["a", "b"], ["a"], 1, id="first"),
        pytest.param(["x", "y", "b"], ["a", "b"], 3, id="any-expected-counts"),
        pytest.param(["x", "a", "b"], ["b", "a"], 2, id="the-best-ranked-of-them"),
        pytest.param(["x", "y"], ["a"], None, id="not-retrieved"),
    ],
)
def test_rank_of_a_case(ranked: list[str], expected: list[str], rank: int | None) -> None:
    assert _result(ranked, expected=expected).rank == rank


def test_figures_average_over_cases_and_intents_over_labelled_ones() -> None:
    results = [
        _result(["a"], expected=["a"], intent="a"),
        _result(["x", "y", "a"], expected=["a"], intent="b"),
        _result(["x"], expected=["a"]),
    ]
    got = figures(results)
    assert (got.recall_at_1, got.recall_at_3) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert got.mrr == pytest.approx((1 + 1 / 3) / 3)
    assert (got.intent_cases, got.intent_accuracy) == (2, 0.5)


@pytest.mark.integration
def test_recall_at_3_holds_the_gate_on_the_real_decide_path() -> None:
    results = run_set(load_set(), PLAYBOOKS)
    got = figures(results)
    assert got.cases == len(load_set().cases)
    assert got.recall_at_3 >= GATE, render(results, GATE)


@pytest.mark.integration
def test_the_command_prints_the_figures_and_exits_by_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(
        "version: 1\nnow: 2026-11-20T15:00:00Z\ncases:\n"
        "  - {id: a, reason: forgot my password, expected: [access-locked-out-guided-reset]}\n"
        "  - {id: b, reason: forgot my password, expected: [claim-update-push]}\n"
    )
    assert main(["--set", str(small)]) == 1
    out = capsys.readouterr().out
    assert "recall@3 0.500" in out
    assert "b: not retrieved" in out
    assert main(["--set", str(small), "--gate", "0.5"]) == 0

"""Run a retrieval set through the real decide path and score what it retrieved.

Every case is decided by :class:`agent.service.Decider` on embedded defaults (SQLite and
embedded Chroma in a throwaway folder, the packaged embedding model, the rules planner) with
the playbooks ingested once and the clock pinned to the set's ``now``: the intent, the journey,
the retrieval query, the metadata filters and the ranking are the service's own. The ranked
playbooks and the intent are read from the decision record.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.config import AgentConfig
from agent.deps import build_deps
from agent.playbooks.parse import load_playbooks
from agent.service import Decider
from evals.retrieval.cases import RetrievalCase, RetrievalSet

__all__ = ["GATE", "CaseResult", "Figures", "figures", "render", "run_set"]

GATE = 0.9
"""The lowest recall@3 the gate accepts."""


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: RetrievalCase
    retrieved: tuple[tuple[str, float], ...]
    """(playbook id, score), best first, as the record holds them."""
    intent: str | None
    journey: str | None

    @property
    def rank(self) -> int | None:
        """1-based rank of the first expected playbook; None when none was retrieved."""
        ids = [pid for pid, _ in self.retrieved]
        ranks = [ids.index(e) + 1 for e in self.case.expected if e in ids]
        return min(ranks) if ranks else None

    def hit(self, k: int) -> bool:
        return self.rank is not None and self.rank <= k

    @property
    def intent_ok(self) -> bool | None:
        """None when the case states no intent."""
        if self.case.intent is None:
            return None
        return (self.intent or "none") == self.case.intent


@dataclass(frozen=True, slots=True)
class Figures:
    cases: int
    recall_at_1: float
    recall_at_3: float
    mrr: float
    intent_cases: int
    intent_accuracy: float


def figures(results: Sequence[CaseResult]) -> Figures:
    n = len(results) or 1
    judged = [ok for r in results if (ok := r.intent_ok) is not None]
    return Figures(
        cases=len(results),
        recall_at_1=sum(r.hit(1) for r in results) / n,
        recall_at_3=sum(r.hit(3) for r in results) / n,
        mrr=sum(1 / r.rank for r in results if r.rank) / n,
        intent_cases=len(judged),
        intent_accuracy=sum(judged) / len(judged) if judged else 1.0,
    )


async def _decide_all(decider: Decider, retrieval_set: RetrievalSet) -> list[CaseResult]:
    results = []
    for case in retrieval_set.cases:
        record = (await decider.decide(case.request(retrieval_set.now))).record
        results.append(
            CaseResult(
                case=case,
                retrieved=tuple((p.id, p.score) for p in record.playbooks),
                intent=record.signals.intent.name,
                journey=record.signals.journey.journey,
            )
        )
    return results


def run_set(retrieval_set: RetrievalSet, playbooks: Path) -> list[CaseResult]:
    """Ingest ``playbooks`` into a throwaway embedded store and decide every case."""
    now: datetime = retrieval_set.now
    with tempfile.TemporaryDirectory(prefix="nextbest-retrieval-") as tmp:
        deps = build_deps(AgentConfig(data_dir=Path(tmp)), clock=lambda: now)
        decider = Decider(deps)
        try:
            deps.playbooks.ingest(load_playbooks(playbooks))
            return asyncio.run(_decide_all(decider, retrieval_set))
        finally:
            decider.close()


def _miss_line(result: CaseResult) -> str:
    case = result.case
    top = ", ".join(f"{pid} {score:.2f}" for pid, score in result.retrieved[:3]) or "nothing"
    rank = f"rank {result.rank}" if result.rank else "not retrieved"
    said = (case.reason or "(no reason)")[:70]
    return (
        f"  {case.id}: {rank}; expected {' | '.join(case.expected)}\n"
        f"      {said!r} -> intent {result.intent}, journey {result.journey}; got {top}"
    )


def render(results: Sequence[CaseResult], gate: float) -> str:
    """The figures, the misses at 3 and the intent misses, for a terminal."""
    f = figures(results)
    verdict = "passes" if f.recall_at_3 >= gate else "FAILS"
    lines = [
        f"retrieval set: {f.cases} cases",
        f"recall@1 {f.recall_at_1:.3f}   recall@3 {f.recall_at_3:.3f}   MRR {f.mrr:.3f}",
        f"intent accuracy {f.intent_accuracy:.3f} over {f.intent_cases} cases",
    ]
    misses = [r for r in results if not r.hit(3)]
    if misses:
        lines.append(f"misses at 3 ({len(misses)}):")
        lines.extend(_miss_line(r) for r in misses)
    wrong = [r for r in results if r.intent_ok is False]
    if wrong:
        lines.append(f"intent misses ({len(wrong)}):")
        lines.extend(
            f"  {r.case.id}: expected {r.case.intent}, got {r.intent or 'none'}; "
            f"{(r.case.reason or '(no reason)')[:70]!r}"
            for r in wrong
        )
    lines.append(f"gate: recall@3 {f.recall_at_3:.3f} {verdict} (>= {gate:.2f})")
    return "\n".join(lines)

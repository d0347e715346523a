"""The labelled retrieval set and its evaluator: does a decide request find the right playbook?

``python -m evals.retrieval`` decides every case of ``default.yaml`` through the real service
path and prints recall@1, recall@3, MRR and intent accuracy; recall@3 below 0.9 fails.
"""

from __future__ import annotations

from evals.retrieval.cases import DEFAULT_SET, CaseEvent, RetrievalCase, RetrievalSet, load_set
from evals.retrieval.run import GATE, CaseResult, Figures, figures, render, run_set

__all__ = [
    "DEFAULT_SET",
    "GATE",
    "CaseEvent",
    "CaseResult",
    "Figures",
    "RetrievalCase",
    "RetrievalSet",
    "figures",
    "load_set",
    "render",
    "run_set",
]

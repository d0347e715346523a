"""``python -m evals.sentiment``: sentiment on the labelled set, beside VADER alone.

Prints the three-way accuracy, how many grief and sarcasm messages read positive, accuracy by
emotion and by language, and every miss; exits 1 below the gate (issue 11: 0.85, and none).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.embeddings import local_embedder
from agent.signals.derive import SignalDeriver
from evals.sentiment.run import LABELLED, figures, load_set, render, run_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.sentiment", description=__doc__)
    parser.add_argument("--set", type=Path, default=LABELLED, help="the labelled set (YAML)")
    parser.add_argument("--model", default=None, help="a local embedding model (default: ours)")
    args = parser.parse_args(argv)
    embedder = local_embedder(args.model)
    results = run_set(load_set(args.set).cases, SignalDeriver(embedder))
    print(render(results, embedder.model_id))
    return 0 if figures(results).passes() else 1


if __name__ == "__main__":
    raise SystemExit(main())

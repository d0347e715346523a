"""``python -m evals.intents``: intent accuracy on the held-out multilingual set.

Prints the accuracy on on-topic utterances, the share of off-topic ones left unmatched, both
by language, and every miss; exits 1 when either is below its gate (issue 11: 0.90 and 0.95).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.embeddings import local_embedder
from agent.signals.intent import IntentMatcher, load_catalogue
from evals.intents.cases import HELDOUT, load_set
from evals.intents.run import figures, render, run_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.intents", description=__doc__)
    parser.add_argument("--set", type=Path, default=HELDOUT, help="the held-out set (YAML)")
    parser.add_argument("--catalogue", type=Path, default=None, help="an intent catalogue")
    parser.add_argument("--model", default=None, help="a local embedding model (default: ours)")
    args = parser.parse_args(argv)
    catalogue = load_catalogue(args.catalogue)
    embedder = local_embedder(args.model)
    results = run_set(load_set(args.set, catalogue).cases, IntentMatcher(embedder, catalogue))
    print(render(results, embedder.model_id))
    return 0 if figures(results).passes() else 1


if __name__ == "__main__":
    raise SystemExit(main())

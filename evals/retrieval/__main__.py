"""``python -m evals.retrieval``: the labelled retrieval set through the real decide path.

Prints recall@1, recall@3, MRR, intent accuracy and the misses; exits 1 when recall@3 is below
the gate (0.9 unless ``--gate``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.demo import DEMO_DIR
from evals.retrieval.cases import DEFAULT_SET, load_set
from evals.retrieval.run import GATE, figures, render, run_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.retrieval", description=__doc__)
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the labelled set (YAML)")
    parser.add_argument(
        "--playbooks", type=Path, default=DEMO_DIR / "playbooks", help="playbooks to ingest"
    )
    parser.add_argument("--gate", type=float, default=GATE, help="minimum recall@3")
    args = parser.parse_args(argv)
    results = run_set(load_set(args.set), args.playbooks)
    print(render(results, args.gate))
    return 0 if figures(results).recall_at_3 >= args.gate else 1


if __name__ == "__main__":
    raise SystemExit(main())

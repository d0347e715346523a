"""Benchmark: a batch run over many generated customers.

Stores ``--customers`` customers (copies of the demo's outbound customers under new ids, with
their profiles and recent events as the demo has them), then runs ``nextbest batch decide``'s
work over all of them (outbound, through the real decide path, ``--concurrency`` at a time),
and prints the summary:
decisions, actions, denials by policy and decisions per second; then runs the same run id again
to show that a resumed run decides nothing twice. With ``--ray N`` the same customers are then
decided again as a Ray Data job with N workers (on a fresh copy of the same data, a local Ray
instance), and both summaries are printed: the same decisions, and each one's decisions/s.

    python -m evals.bench_batch [--customers 10000] [--concurrency 8] [--ray 2]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from rich.console import Console

from agent.batch import run_batch
from agent.config import AgentConfig
from agent.demo import demo_now, load_demo_customers, seed
from agent.service import Decider
from api.cli_batch import print_summary

__all__ = ["main", "store_customers"]


async def store_customers(decider: Decider, count: int) -> list[str]:
    """Store ``count`` copies of the demo's outbound customers (profiles and recent events)
    under new ids ``gen00000_<demo id>``; their ids, in order."""
    archetypes = [c for c in load_demo_customers(demo_now()) if c.context.direction == "outbound"]
    ids = []
    for n in range(count):
        archetype = archetypes[n % len(archetypes)]
        customer_id = f"gen{n:05d}_{archetype.profile.customer_id}"
        await decider.put_customer(
            archetype.profile.model_copy(update={"customer_id": customer_id})
        )
        await decider.add_events(customer_id, archetype.events)
        ids.append(customer_id)
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_batch", description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ray", type=int, default=0, metavar="WORKERS", help="also on Ray")
    args = parser.parse_args(argv)
    now = demo_now()
    with tempfile.TemporaryDirectory(prefix="nextbest-batch-") as tmp:
        decider = Decider.build(AgentConfig(data_dir=Path(tmp)), clock=lambda: now)
        try:
            asyncio.run(seed(decider, now))
            started = time.perf_counter()
            ids = asyncio.run(store_customers(decider, args.customers))
            print(f"stored {len(ids):,} customers in {time.perf_counter() - started:.1f} s")
            cpu = time.process_time()
            summary = asyncio.run(
                run_batch(decider, ids, run_id="run_bench", concurrency=args.concurrency)
            )
            cpu = time.process_time() - cpu
            print_summary(summary, Console())
            print(f"CPU: {1000 * cpu / max(1, summary.decided):.1f} ms per decision")
            again = asyncio.run(
                run_batch(decider, ids, run_id="run_bench", concurrency=args.concurrency)
            )
            print(
                f"the same run again: {again.decided} decided, {again.replayed:,} replayed "
                f"in {again.seconds:.1f} s"
            )
        finally:
            decider.close()
        if args.ray:
            _on_ray(Path(tmp) / "ray", args.customers, args.ray, args.concurrency)
    return 0


def _on_ray(data_dir: Path, count: int, workers: int, concurrency: int) -> None:
    """The same customers, on fresh stores, decided by a Ray Data job on a local instance."""
    from agent.batch.ray_job import RayOptions, run_batch_on_ray

    now = demo_now()
    decider = Decider.build(AgentConfig(data_dir=data_dir), clock=lambda: now)
    try:
        asyncio.run(seed(decider, now))
        ids = asyncio.run(store_customers(decider, count))
    finally:
        decider.close()
    options = RayOptions(workers=workers, concurrency=concurrency)
    config = AgentConfig(data_dir=data_dir)
    summary = run_batch_on_ray(config, ids, run_id="run_bench", options=options, now=now)
    print(f"on Ray, {workers} workers (the time includes starting them):")
    print_summary(summary, Console())


if __name__ == "__main__":
    raise SystemExit(main())

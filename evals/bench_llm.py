"""Benchmark: do concurrent decisions overlap their LLM waits?

Runs batches of 1, 50 and 200 concurrent decisions through the real graph (embedded SQLite and
Chroma, the local embedding model, the demo playbooks) against a local OpenAI-compatible stub
that answers after a fixed delay, and the same requests in rules mode side by side. Each
decision is a different customer with its own words, so no cache makes the work vanish.

Prints, per batch: wall time, decision latency p50/p95, overhead beyond the stub's delay
(p50/p95), and ``wall / delay``. With perfect overlap and free compute, 200 concurrent
decisions take one delay: the ratio is 1. The goal is under 2.

    python -m evals.bench_llm [--delay 0.3] [--sizes 1,50,200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from agent.config import AgentConfig, LLMConfig
from agent.context import RequestContext
from agent.demo import demo_now, seed
from agent.events import Event
from agent.profile import Profile
from agent.record import DecideRequest
from agent.service import Decider

__all__ = ["Batch", "main", "run"]

_REASONS = (
    "I was charged twice for order {n} and want the duplicate refunded",
    "locked out after resetting my password, attempt {n}",
    "the app crashes every time I open my photo library, error SYNC-{n}",
    "can I change my flight date for booking BK{n}",
    "my claim {n} has had no update for two weeks",
)


@dataclass(frozen=True, slots=True)
class Batch:
    mode: str
    size: int
    wall_s: float
    latencies_s: list[float]

    def quantile(self, q: float) -> float:
        if len(self.latencies_s) == 1:
            return self.latencies_s[0]
        return statistics.quantiles(self.latencies_s, n=100, method="inclusive")[int(q * 100) - 1]


def _request(n: int, now_ts: float) -> DecideRequest:
    reason = _REASONS[n % len(_REASONS)].format(n=1000 + n)
    profile = Profile.model_validate(
        {
            "customer_id": f"bench-{n:04d}",
            "tier": "gold",
            "timezone": "Europe/Berlin",
            "consents": [
                {"channel": c, "purpose": p, "granted": True}
                for c in ("email", "sms")
                for p in ("service", "marketing")
            ],
        }
    )
    event = Event.model_validate(
        {
            "id": f"bench-{n:04d}-e1",
            "ts": now_ts - 600,
            "channel": "chat",
            "type": "chat_message",
            "text": reason,
        }
    )
    context = RequestContext(direction="inbound", channel="chat", reason=reason)
    return DecideRequest(profile=profile, events=[event], context=context)


async def _batch(decider: Decider, mode: str, size: int, offset: int) -> Batch:
    now_ts = decider.deps.clock().timestamp()
    requests = [_request(offset + i, now_ts) for i in range(size)]

    async def one(request: DecideRequest) -> float:
        started = time.perf_counter()
        result = await decider.decide(request)
        if mode == "llm" and result.record.mode != "llm":
            raise RuntimeError(f"expected an LLM decision, got {result.record.mode_reason}")
        return time.perf_counter() - started

    started = time.perf_counter()
    latencies = await asyncio.gather(*(one(r) for r in requests))
    return Batch(mode, size, time.perf_counter() - started, sorted(latencies))


@contextmanager
def _stub_process(delay_s: float) -> Iterator[str]:
    """The stub in a process of its own (its JSON work must not count as ours); its URL."""
    command = [sys.executable, "-m", "evals.llm_stub", "--delay", str(delay_s)]
    pipe = subprocess.PIPE
    with subprocess.Popen(command, stdin=pipe, stdout=pipe, text=True) as p:  # noqa: S603 (ours)
        assert p.stdin is not None
        assert p.stdout is not None
        try:
            yield p.stdout.readline().strip()
        finally:
            p.stdin.close()  # the stub serves until its stdin closes
            p.wait(timeout=10)


async def run(delay_s: float, sizes: list[int]) -> list[Batch]:
    """Every size in rules mode and in LLM mode, interleaved, in one process."""
    now = demo_now()
    with tempfile.TemporaryDirectory() as tmp, _stub_process(delay_s) as base_url:
        llm = LLMConfig(base_url=base_url, model="stub", api_key=SecretStr("unused"))
        rules_config = AgentConfig(data_dir=Path(tmp) / "rules")
        llm_config = AgentConfig(data_dir=Path(tmp) / "llm", llm=llm)
        deciders = {
            "rules": Decider.build(rules_config, clock=lambda: now),
            "llm": Decider.build(llm_config, clock=lambda: now),
        }
        for decider in deciders.values():
            await seed(decider, now)
        batches = []
        try:
            await _batch(deciders["llm"], "llm", 5, offset=90_000)  # warm up both paths
            await _batch(deciders["rules"], "rules", 5, offset=90_000)
            for i, size in enumerate(sizes):
                for mode, decider in deciders.items():
                    batches.append(await _batch(decider, mode, size, offset=i * 10_000))
        finally:
            for decider in deciders.values():
                await decider.aclose()
    return batches


def _report(batches: list[Batch], delay_s: float) -> None:
    print(f"stub delay {delay_s * 1000:.0f} ms; every figure from this one run")
    print(
        f"{'mode':<6} {'n':>4} {'wall ms':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'overhead p50':>13} {'p95':>7} {'wall/delay':>11}"
    )
    for b in batches:
        delay = delay_s if b.mode == "llm" else 0.0
        print(
            f"{b.mode:<6} {b.size:>4} {b.wall_s * 1000:>9.0f} {b.quantile(0.5) * 1000:>8.0f} "
            f"{b.quantile(0.95) * 1000:>8.0f} {(b.quantile(0.5) - delay) * 1000:>13.0f} "
            f"{(b.quantile(0.95) - delay) * 1000:>7.0f} {b.wall_s / delay_s:>11.2f}"
        )
    biggest = max(b.size for b in batches)
    llm = next(b for b in batches if b.mode == "llm" and b.size == biggest)
    rules = next(b for b in batches if b.mode == "rules" and b.size == biggest)
    print(
        f"\nwall({biggest} concurrent, llm) / delay = {llm.wall_s / delay_s:.2f} (goal < 2); "
        f"of which the same decisions' own work in rules mode: {rules.wall_s / delay_s:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.3, help="stub delay in seconds")
    parser.add_argument("--sizes", default="1,50,200", help="batch sizes, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    _report(asyncio.run(run(args.delay, sizes)), args.delay)


if __name__ == "__main__":
    main()

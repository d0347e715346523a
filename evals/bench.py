"""Benchmark: the real server under load, beside a bare FastAPI endpoint served the same way.

Starts ``nextbest serve --demo`` (embedded defaults, the demo customers, no history) and, on
another port, a bare FastAPI app whose ``POST /v1/decide`` parses the body and answers a fixed
JSON (:mod:`evals.bench_bare`), both under uvicorn with one worker. Drives each with ``wrk``
(a load generator written in C; ``apt-get install wrk``) at fixed connection counts, every
request a stored demo customer with a reason text of its own, so no cache makes the work
vanish. Measures, per run:

- requests per second and latency p50 / p99 (wrk's own figures);
- server CPU milliseconds per request: the server process's user + system time from
  ``/proc/<pid>/stat`` before and after the run, divided by the requests it answered.

Prints a row per endpoint and connection count, and the ratio of the two endpoints measured in
the same run (these machines are noisy: compare ratios, not absolute figures). The target for a
rules-mode decision is 5 CPU-ms.

    python -m evals.bench [--connections 1,8] [--duration 15] [--warmup 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Run", "cpu_seconds", "main", "parse_wrk"]

TARGET_CPU_MS = 5.0
CUSTOMERS = (
    "c03_smurphy",
    "c06_lmartin",
    "c08_dokafor",
    "c10_obrennan",
    "c11_srossi",
    "c13_amehta",
    "c15_sadeyemi",
    "c16_cmartin",
)
REASONS = (
    "I was charged twice for order %d and want the duplicate refunded",
    "locked out after resetting my password, attempt %d",
    "my photo library will not sync, error SYNC-%d",
    "how much luggage can I take on booking BK%d",
    "my claim %d has had no update for two weeks and nobody calls back",
    "the stream keeps dropping tonight, third time this week, ticket %d",
    "please cancel my subscription at the end of the month, account %d",
)

# Each wrk thread numbers its requests; the thread id keeps the texts of two threads apart.
_LUA = """
local customers = {%(customers)s}
local reasons = {%(reasons)s}
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local n = tid * 10000000 + counter
  local customer = customers[(counter %% #customers) + 1]
  local reason = string.format(reasons[(counter %% #reasons) + 1], n)
  local body = '{"customer_id": "' .. customer .. '", "context": {"direction": "inbound", '
    .. '"channel": "chat", "reason": "' .. reason .. '"}}'
  return wrk.format("POST", "/v1/decide", {["Content-Type"] = "application/json"}, body)
end
"""


@dataclass(frozen=True, slots=True)
class Run:
    endpoint: str
    connections: int
    requests: int
    errors: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_s: float

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / self.requests if self.requests else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (``/proc/<pid>/stat``, fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces; skip past it
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> tuple[int, int, float, float, float]:
    """(requests, errors, requests/s, p50 ms, p99 ms) from ``wrk --latency`` output."""
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in found.groups())
    return requests, errors, rate, p50, p99


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f} s")


@contextmanager
def _serve(command: list[str], env: dict[str, str], ready_url: str) -> Iterator[int]:
    """Run a server until the block ends; yields its pid (the process that does the work)."""
    process = subprocess.Popen(  # noqa: S603 - our own server, arguments built here
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_ready(ready_url, process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wrk(url: str, script: Path, connections: int, duration_s: int) -> str:
    threads = max(1, min(connections, 2))
    wrk = shutil.which("wrk") or "wrk"
    result = subprocess.run(  # noqa: S603 - wrk against our own loopback server
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency",
         "--timeout", "10s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


def _measure(
    endpoint: str, pid: int, base: str, script: Path, connections: int, args: argparse.Namespace
) -> Run:
    if args.warmup:
        _wrk(base, script, connections, args.warmup)
    before = cpu_seconds(pid)
    output = _wrk(base, script, connections, args.duration)
    cpu = cpu_seconds(pid) - before
    requests, errors, rate, p50, p99 = parse_wrk(output)
    return Run(endpoint, connections, requests, errors, rate, p50, p99, cpu)


def _print(runs: list[Run]) -> None:
    print(
        f"{'endpoint':<10} {'conns':>5} {'requests':>9} {'errors':>6} {'req/s':>9} "
        f"{'CPU-ms/req':>11} {'p50 ms':>8} {'p99 ms':>8}"
    )
    for run in runs:
        print(
            f"{run.endpoint:<10} {run.connections:>5} {run.requests:>9,} {run.errors:>6} "
            f"{run.requests_per_s:>9,.1f} {run.cpu_ms_per_request:>11.2f} "
            f"{run.p50_ms:>8.1f} {run.p99_ms:>8.1f}"
        )
    by_key = {(r.endpoint, r.connections): r for r in runs}
    for (endpoint, connections), decide in sorted(by_key.items()):
        bare = by_key.get(("bare", connections))
        if endpoint != "decide" or bare is None:
            continue
        verdict = "meets" if decide.cpu_ms_per_request <= TARGET_CPU_MS else "misses"
        rate = decide.requests_per_s / bare.requests_per_s
        cpu = decide.cpu_ms_per_request / bare.cpu_ms_per_request
        print(
            f"{connections} connections: decide serves {rate:.3f}x the bare endpoint's req/s "
            f"at {cpu:.0f}x its CPU per request; {decide.cpu_ms_per_request:.1f} CPU-ms per "
            f"decision ({verdict} the {TARGET_CPU_MS:.0f} ms target)"
        )


def run(args: argparse.Namespace) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix="nextbest-bench-") as tmp:
        script = Path(tmp) / "decide.lua"
        script.write_text(
            _LUA
            % {
                "customers": ", ".join(json.dumps(c) for c in CUSTOMERS),
                "reasons": ", ".join(json.dumps(r) for r in REASONS),
            }
        )
        env = os.environ | {
            "NEXTBEST_DATA_DIR": str(Path(tmp) / "data"),
            "NEXTBEST_RATE_LIMIT_PER_S": "0",
        }
        runs: list[Run] = []
        nextbest = str(Path(sys.executable).with_name("nextbest"))
        uvicorn = [sys.executable, "-m", "uvicorn", "evals.bench_bare:app"]
        servers: dict[str, list[str]] = {
            "bare": [*uvicorn, "--log-level", "warning", "--no-access-log", "--port"],
            "decide": [nextbest, "serve", "--demo", "--lookalikes", "0", "--port"],
        }
        for endpoint, command in servers.items():
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            ready = f"{base}/readyz" if endpoint == "decide" else f"{base}/healthz"
            with _serve([*command, str(port)], env, ready) as pid:
                for connections in args.connections:
                    runs.append(_measure(endpoint, pid, base, script, connections, args))
        return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__)
    parser.add_argument(
        "--connections",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 8],
        help="comma-separated connection counts (default 1,8)",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before each run")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    _print(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

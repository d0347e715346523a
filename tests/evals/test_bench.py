"""The load-test harness's own parts: wrk's report read right, and CPU time read from /proc."""

from __future__ import annotations

import os
import time

import pytest

from evals.bench import cpu_seconds, parse_wrk

WRK = """Running 10s test @ http://127.0.0.1:40123
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   240.40ms   80.11ms 463.90ms   70.00%
    Req/Sec    16.21      6.02    30.00     60.00%
  Latency Distribution
     50%  240.40ms
     75%  290.00ms
     90%  350.20ms
     99%    1.02s
  325 requests in 10.06s, 1.23MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:     32.30
Transfer/sec:    125.01KB
"""


def test_wrk_output_is_read_with_units_and_errors() -> None:
    requests, errors, rate, p50, p99 = parse_wrk(WRK)
    assert (requests, errors, rate) == (325, 7, 32.30)
    assert p50 == pytest.approx(240.4)
    assert p99 == pytest.approx(1020.0)  # seconds become milliseconds


def test_wrk_output_in_microseconds() -> None:
    fast = WRK.replace("240.40ms", "212.00us").replace("    1.02s", "  5.70ms")
    _, _, _, p50, p99 = parse_wrk(fast)
    assert (p50, p99) == (pytest.approx(0.212), pytest.approx(5.7))


def test_cpu_seconds_grow_with_work_done() -> None:
    before = cpu_seconds(os.getpid())
    spent = time.process_time()
    while time.process_time() - spent < 0.2:  # burn CPU, not a wall-clock check
        sum(range(1000))
    assert cpu_seconds(os.getpid()) > before

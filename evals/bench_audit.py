"""Benchmark: verifying the tamper-evident log.

Builds (or reuses, in ``--data-dir``) a log of ``--decisions`` decisions with their outcomes
through the real stores (:mod:`evals.bench_log`: records sealed per customer and chained as
the service writes them), signs a checkpoint, then times ``nextbest audit verify``'s work:
every chain link, every chained row hashed again, the checkpoint's Merkle root. Beside it, in
the same run, the floor: reading the same rows without hashing them. Prints rows per second
against the target of 100,000, and the ratio to the floor.

    python -m evals.bench_audit [--decisions 100000] [--data-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.audit.chain import CHAINED
from agent.audit.checkpoint import NoteSigner
from agent.audit.store import SqlAuditLog, VerifyReport
from evals.bench_log import parse_bench_args

__all__ = ["main"]

TARGET_ROWS_PER_S = 100_000


def _read_only(path: Path) -> tuple[int, float]:
    """The floor: every chained row and chain entry read, nothing hashed."""
    started = time.perf_counter()
    rows = 0
    with closing(sqlite3.connect(path)) as conn:
        for table in CHAINED.values():
            for _ in conn.execute(f"SELECT {', '.join(table.columns)} FROM {table.name}"):
                rows += 1
        for _ in conn.execute("SELECT seq, kind, ref, payload_hash, prev, hash FROM chain"):
            pass
    return rows, time.perf_counter() - started


def _verify(path: Path, signer: NoteSigner, repeat: int) -> tuple[float, VerifyReport]:
    audit = SqlAuditLog(path, signer=signer)
    try:
        best, report = float("inf"), None
        for _ in range(repeat):
            started = time.perf_counter()
            report = audit.verify()
            best = min(best, time.perf_counter() - started)
        assert report is not None
        return best, report
    finally:
        audit.close()


def main(argv: list[str] | None = None) -> int:
    args, path = parse_bench_args(__doc__.split("\n\n")[0], "audit", argv)
    signer = NoteSigner(
        "nextbest.bench/audit",
        Ed25519PrivateKey.from_private_bytes(b"bench-signing-key-32-bytes-long!"),
    )
    audit = SqlAuditLog(path, signer=signer)
    audit.checkpoint(signer, signer.name, datetime.now(UTC))
    audit.close()

    elapsed, report = _verify(path, signer, args.repeat)
    floor_rows, floor = _read_only(path)
    rate = report.rows / elapsed
    verdict = "meets" if rate >= TARGET_ROWS_PER_S else "MISSES"
    print(
        f"verify: {report.entries:,} entries, {report.rows:,} rows, "
        f"{report.checkpoints} checkpoint(s): {elapsed:.2f} s, {rate:,.0f} rows/s "
        f"({verdict} the {TARGET_ROWS_PER_S:,} rows/s target); ok={report.ok}",
        flush=True,
    )
    print(
        f"reading the same {floor_rows:,} rows without hashing: {floor:.2f} s "
        f"(verify takes {elapsed / floor:.1f}x as long)",
        flush=True,
    )
    return 0 if report.ok and rate >= TARGET_ROWS_PER_S else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The checks of verify that look at one row or one entry at a time, in jobs over slices.

Two kinds of job, each over a range of one table:

- **rows** (a chained table, by rowid): every row is hashed again by SQLite's own rendering of
  its columns and compared with the payload hash of its chain entry, found through the
  chain's ``(kind, ref)`` index. It reports rows that changed (``edited``), rows with no entry
  (``inserted``) and how many rows matched, so that the caller can tell from counts alone
  whether an entry lost its row.
- **links** (the chain, by seq): every entry follows on the one before and hashes to what it
  says; and, when there are checkpoints to check, the slice's part of the Merkle tree grows
  along (slices start on power-of-two boundaries, so the parts join into the whole tree).

Reading tens of thousands of rows is Python work under one GIL, so verify runs the jobs in
worker processes, one per core, each on its own read-only connection. A worker is
``python -m agent.audit.scan PATH SINCE JOBS`` and prints its findings as JSON: it imports
nothing but the chain's encoding, starts in milliseconds, and nothing of the calling process
(threads, locks, the embedding model) is copied into it. Only problems travel back, so a
clean log costs no serialisation.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from agent.audit.chain import CHAINED, GENESIS, entry_hash, payload_hash, payload_hash_sql
from agent.audit.merkle import Tree

if TYPE_CHECKING:  # the stores import the chain: types only, no cycle
    from agent.stores.database import Connection, Dialect

__all__ = ["Block", "Finding", "Job", "JobResult", "run_jobs", "run_jobs_on", "start_jobs"]

Job = tuple[Literal["rows"], str, int, int] | tuple[Literal["links"], int, int, int, bool]
"""``("rows", kind, low rowid, high rowid)`` or ``("links", low seq, high seq, check from,
grow the tree)``. PostgreSQL tables have no rowid: a rows job there covers its whole table
(the range is not used) and the server hashes inside the scan."""

Finding = tuple[str, int | None, str, str]
"""``(what, seq, kind, ref)``: what is wrong (edited, inserted, link, entry_hash) and where."""


class Block(TypedDict):
    """The Merkle tree grown over one slice of the chain (see :class:`Tree`)."""

    first: int
    """The slice's first seq."""
    leaves: int
    """Entries found in it."""
    root: str
    stacks: dict[str, list[str]]
    """At each checkpoint size inside the slice, the slice's complete subtrees so far."""


class JobResult(TypedDict):
    findings: list[Finding]
    matched: dict[str, int]
    """Rows found with an entry whose payload they still hash to, by table."""
    rows: int
    """Rows hashed again."""
    blocks: list[Block]


def _rows(
    conn: Connection, dialect: Dialect, kind: str, since_us: int | None, low: int, high: int
) -> JobResult:
    table = CHAINED[kind]
    where = "TRUE"
    params: tuple[Any, ...] = ()
    if dialect == "sqlite":
        where = "t.rowid BETWEEN ? AND ?"
        params = (low, high)
    if since_us is not None:
        where += f" AND t.{table.time_column} >= ?"
        params += (since_us,)
    rows = conn.execute(f"SELECT COUNT(*) FROM {table.name} AS t WHERE {where}", params)
    count = rows.fetchone()[0]
    # the hash runs inside the scan, so only the rows that fail it reach Python
    failing = conn.execute(
        f"SELECT {table.ref_sql_of('t.')}, c.seq FROM {table.name} AS t"
        f" LEFT JOIN chain AS c ON c.kind = ? AND c.ref = {table.ref_sql_of('t.')}"
        f" WHERE {where} AND (c.seq IS NULL"
        f" OR {payload_hash_sql(table, 't.', dialect)} IS DISTINCT FROM c.payload_hash)",
        (kind, *params),
    )
    findings: list[Finding] = [
        ("inserted" if seq is None else "edited", seq, kind, ref) for ref, seq in failing
    ]
    return JobResult(
        findings=findings, matched={kind: count - len(findings)}, rows=count, blocks=[]
    )


def _links(conn: Connection, low: int, high: int, check_from: int, grow: bool) -> JobResult:
    """Check the entries from ``check_from`` to ``high``; grow the slice's Merkle tree from
    ``low`` (which starts an aligned block) when ``grow``, noting it at every checkpoint."""
    sizes = {
        size
        for (size,) in conn.execute(
            "SELECT size FROM checkpoints WHERE size BETWEEN ? AND ?", (low, high)
        )
    }
    before = conn.execute("SELECT hash FROM chain WHERE seq = ?", (low - 1,)).fetchone()
    prev = GENESIS if low == 1 else (before[0] if before else None)
    expected = low
    findings: list[Finding] = []
    tree, stacks = Tree(), {}
    cursor = conn.execute(
        "SELECT seq, kind, ref, payload_hash, prev, hash FROM chain"
        " WHERE seq BETWEEN ? AND ? ORDER BY seq",
        (low, high),
    )
    for seq, kind, ref, payload, linked, digest in cursor:
        if seq < check_from:
            pass
        elif seq != expected or linked != prev:
            findings.append(("link", seq, kind, ref))
        elif entry_hash(linked, seq, kind, ref, payload) != digest:
            findings.append(("entry_hash", seq, kind, ref))
        if grow:
            tree.push(bytes.fromhex(digest))
            if low - 1 + tree.size in sizes:
                stacks[str(low - 1 + tree.size)] = [node.hex() for node in tree.stack]
        expected, prev = seq + 1, digest
    block = Block(first=low, leaves=tree.size, root=tree.root().hex(), stacks=stacks)
    return JobResult(findings=findings, matched={}, rows=0, blocks=[block] if grow else [])


def run_jobs(path: str, since_us: int | None, jobs: list[Job]) -> JobResult:
    """Run the jobs here, on one read-only connection to the SQLite file."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.execute("PRAGMA mmap_size = 1073741824")  # reads without copying pages
        conn.create_function("payload_hash", 2, payload_hash, deterministic=True)
        return run_jobs_on(conn, "sqlite", since_us, jobs)


def run_jobs_on(
    conn: Connection, dialect: Dialect, since_us: int | None, jobs: list[Job]
) -> JobResult:
    """Run the jobs on this connection; their findings together."""
    total = JobResult(findings=[], matched={}, rows=0, blocks=[])
    for job in jobs:
        if job[0] == "rows":
            result = _rows(conn, dialect, job[1], since_us, job[2], job[3])
        else:
            result = _links(conn, *job[1:])  # type: ignore[arg-type]
        total["findings"] += result["findings"]
        for kind, count in result["matched"].items():
            total["matched"][kind] = total["matched"].get(kind, 0) + count
        total["rows"] += result["rows"]
        total["blocks"] += result["blocks"]
    return total


def start_jobs(path: str, since_us: int | None, jobs: list[Job]) -> subprocess.Popen[bytes]:
    """A worker process running the jobs; read its stdout as a JobResult when it ends."""
    since = "-" if since_us is None else str(since_us)
    return subprocess.Popen(  # noqa: S603 - our own module, arguments we built
        [sys.executable, "-m", "agent.audit.scan", path, since, json.dumps(jobs)],
        stdout=subprocess.PIPE,
    )


def _main(argv: list[str]) -> None:
    path, since, jobs = argv
    found = run_jobs(path, None if since == "-" else int(since), json.loads(jobs))
    json.dump(found, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    _main(sys.argv[1:])

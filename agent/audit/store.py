"""The audit log's reads: verify the chain, sign checkpoints of its head, export it.

Verification checks, from the rows themselves: every entry links to the one before and hashes
to what it says; every chained row still hashes to its entry's payload (an edit shows), every
entry's row is there (a deletion shows), every row has an entry (an insertion beside the chain
shows); and every signed checkpoint still matches the chain's first entries, so that rewriting
the chain itself shows too. It names the first broken row.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.audit.chain import CHAINED, GENESIS
from agent.audit.checkpoint import Checkpoint, NoteSigner, parse_note
from agent.audit.merkle import Tree, fold, root
from agent.audit.scan import Job, JobResult, run_jobs, run_jobs_on, start_jobs
from agent.stores.database import DatabaseTarget, attach
from agent.stores.sqlite import SqliteDatabase, from_micros, to_micros

__all__ = [
    "AuditLog",
    "ChainProblem",
    "CheckpointRefused",
    "ExportEntry",
    "SqlAuditLog",
    "VerifyReport",
    "export_line",
]

Problem = Literal["link", "entry_hash", "edited", "deleted", "inserted", "checkpoint"]


class ChainProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    what: Problem = Field(description="What is wrong.")
    seq: int | None = Field(default=None, description="The chain entry, when there is one.")
    kind: str = Field(description="The table.")
    ref: str = Field(description="The row's key.")
    detail: str = Field(description="For humans.")


class VerifyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool = Field(description="Nothing was found wrong.")
    entries: int = Field(description="Chain entries checked.")
    rows: int = Field(description="Rows hashed again.")
    head: str = Field(description="The hash of the last entry.")
    checkpoints: int = Field(description="Signed checkpoints checked against the chain.")
    first: ChainProblem | None = Field(
        default=None, description="The first broken row, by chain order (null when ok)."
    )
    problems: list[ChainProblem] = Field(description="Everything found (at most 100).")
    seconds: float = Field(description="How long it took.")


class ExportEntry(BaseModel):
    """One exported chain entry with its row, for external archiving."""

    seq: int
    kind: str
    ref: str
    ts: AwareDatetime
    payload_hash: str
    prev: str
    hash: str
    row: dict[str, Any] = Field(description="The row's chained columns (records as stored).")


class CheckpointRefused(RuntimeError):  # noqa: N818 - reads better at the raise
    """The chain no longer matches an earlier checkpoint: signing now would hide that."""


class AuditLog(Protocol):
    def verify(self, *, since: datetime | None = None) -> VerifyReport: ...

    def checkpoint(self, signer: NoteSigner, origin: str, now: datetime) -> Checkpoint | None:
        """Sign the chain's head (None when it has not grown since the last checkpoint, or
        another worker signed the same head first)."""
        ...

    def checkpoints(self) -> list[Checkpoint]: ...

    def latest(self) -> Checkpoint | None:
        """The last signed checkpoint (None before the first)."""
        ...

    def export(
        self, *, since: datetime | None, until: datetime | None
    ) -> Iterator[ExportEntry]: ...

    def close(self) -> None: ...


_MAX_PROBLEMS = 100
_PARALLEL_FROM = 20_000
"""Below this many rows, worker processes cost more to start than they save."""


def _cut(low: int | None, high: int | None, parts: int) -> list[tuple[int, int]]:
    """[low, high] cut into at most ``parts`` contiguous slices (none when empty)."""
    if low is None or high is None or high < low:
        return []
    step = (high - low + 1) // parts + 1
    return [(start, min(start + step - 1, high)) for start in range(low, high + 1, step)]


class SqlAuditLog:
    def __init__(
        self,
        db: DatabaseTarget,
        *,
        signer: NoteSigner | None = None,
        workers: int | None = None,
        parallel_from: int = _PARALLEL_FROM,
    ) -> None:
        self._db, self._owns_db = attach(db)
        self._signer = signer
        self._workers = workers or min(4, os.cpu_count() or 1)
        self._parallel_from = parallel_from

    # -- verify ----------------------------------------------------------------------------

    def verify(self, *, since: datetime | None = None) -> VerifyReport:
        started = time.perf_counter()
        since_us = None if since is None else to_micros(since)
        conn = self._db.connection()
        first_seq = 1
        if since_us is not None:
            found = conn.execute("SELECT MIN(seq) FROM chain WHERE ts_us >= ?", (since_us,))
            first_seq = found.fetchone()[0] or 1
        results = self._run(first_seq, since_us)
        problems = {
            (what, kind, ref): self._problem(what, seq, kind, ref)
            for result in results
            for what, seq, kind, ref in result["findings"]
        }
        for problem in self._unmatched(since_us, results, problems):
            problems.setdefault((problem.what, problem.kind, problem.ref), problem)
        checked = self._check_checkpoints(self._checkpoint_roots(results), problems)
        ordered = sorted(problems.values(), key=lambda p: (p.seq is None, p.seq or 0))
        entries, head = conn.execute(
            "SELECT COUNT(*), (SELECT hash FROM chain ORDER BY seq DESC LIMIT 1)"
            " FROM chain WHERE seq >= ?",
            (first_seq,),
        ).fetchone()
        return VerifyReport(
            ok=not ordered,
            entries=entries,
            rows=sum(result["rows"] for result in results),
            head=head or GENESIS,
            checkpoints=checked,
            first=ordered[0] if ordered else None,
            problems=ordered[:_MAX_PROBLEMS],
            seconds=round(time.perf_counter() - started, 3),
        )

    def _run(self, first_seq: int, since_us: int | None) -> list[JobResult]:
        """The row and link checks: on SQLite in worker processes when the log is large
        enough to gain from them; on PostgreSQL in one pass, the server hashing the rows."""
        if isinstance(self._db, SqliteDatabase):
            path = str(self._db.path)
            groups = self._jobs(first_seq, self._workers)
            rows_total = sum(
                job[3] - job[2] + 1 for group in groups for job in group if job[0] == "rows"
            )
            if rows_total < self._parallel_from or len(groups) < 2:
                return [run_jobs(path, since_us, [job for group in groups for job in group])]
            workers = [start_jobs(path, since_us, group) for group in groups]
            results = []
            for worker in workers:
                output, _ = worker.communicate()
                if worker.returncode != 0:
                    raise RuntimeError(f"a verify worker failed (exit {worker.returncode})")
                results.append(json.loads(output))
            return results
        [jobs] = self._jobs(first_seq, parts=1)
        return [run_jobs_on(self._db.connection(), self._db.dialect, since_us, jobs)]

    def _jobs(self, first_seq: int, parts: int) -> list[list[Job]]:
        """The work cut into at most ``parts`` groups, one per worker: a slice of every table
        by rowid (on PostgreSQL, which has no rowid, each table whole), and a slice of the
        chain from ``first_seq`` on."""
        conn = self._db.connection()
        groups: list[list[Job]] = [[] for _ in range(parts)]
        for table in CHAINED.values():
            if self._db.dialect == "postgres":
                groups[0].append(("rows", table.name, 0, 0))
                continue
            low, high = conn.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {table.name}").fetchone()
            for n, (lo, hi) in enumerate(_cut(low, high, parts)):
                groups[n].append(("rows", table.name, lo, hi))
        high = conn.execute("SELECT MAX(seq) FROM chain").fetchone()[0] or 0
        grow = bool(conn.execute("SELECT EXISTS (SELECT 1 FROM checkpoints)").fetchone()[0])
        low = 1 if grow else first_seq
        block = 1 << max(0, (-(-(high - low + 1) // parts) - 1).bit_length())
        for n, start in enumerate(range(low, high + 1, block)):
            groups[n].append(("links", start, min(start + block - 1, high), first_seq, grow))
        return [group for group in groups if group]

    @staticmethod
    def _problem(what: str, seq: int | None, kind: str, ref: str) -> ChainProblem:
        detail = {
            "link": f"entry {seq} does not follow on the entry before it "
            "(an entry was removed, reordered or rewritten)",
            "entry_hash": f"entry {seq} does not hash to what it says (it was edited)",
            "edited": f"{kind} row {ref} changed since entry {seq} chained it",
            "deleted": f"{kind} row {ref} is gone, but entry {seq} chained it",
            "inserted": f"{kind} row {ref} was written beside the chain",
        }[what]
        return ChainProblem(what=what, seq=seq, kind=kind, ref=ref, detail=detail)  # type: ignore[arg-type]

    def _unmatched(
        self,
        since_us: int | None,
        results: list[JobResult],
        found: dict[tuple[str, str, str], ChainProblem],
    ) -> Iterator[ChainProblem]:
        """Entries whose row is gone (or has moved out of the window): the counts tell
        whether there are any, and only then are the refs compared."""
        conn = self._db.connection()
        window, params = ("WHERE ts_us >= ?", (since_us,)) if since_us is not None else ("", ())
        expected = dict(
            conn.execute(f"SELECT kind, COUNT(*) FROM chain {window} GROUP BY kind", params)
        )
        for kind, table in CHAINED.items():
            matched = sum(result["matched"].get(kind, 0) for result in results)
            edited = sum(1 for what, k, _ in found if what == "edited" and k == kind)
            if matched + edited == expected.get(kind, 0):
                continue
            entries = dict(
                conn.execute(
                    f"SELECT ref, seq FROM chain WHERE kind = ? {window.replace('WHERE', 'AND')}",
                    (kind, *params),
                )
            )
            present = {ref for (ref,) in conn.execute(f"SELECT {table.ref_sql} FROM {table.name}")}
            in_window = present
            if since_us is not None:
                in_window = {
                    ref
                    for (ref,) in conn.execute(
                        f"SELECT {table.ref_sql} FROM {table.name} WHERE {table.time_column} >= ?",
                        (since_us,),
                    )
                }
            for ref in entries.keys() - in_window:
                yield self._problem(
                    "edited" if ref in present else "deleted", entries[ref], kind, ref
                )

    @staticmethod
    def _checkpoint_roots(results: list[JobResult]) -> dict[int, bytes]:
        """The Merkle root of the chain at the size of every checkpoint, from the slices'
        trees joined in order (a slice short of entries stops the join: no later checkpoint
        can match)."""
        joined, roots = Tree(), {}
        blocks = sorted(
            (b for result in results for b in result["blocks"]), key=lambda b: b["first"]
        )
        for block in blocks:
            if joined.size != block["first"] - 1:
                break
            for size, stack in block["stacks"].items():
                roots[int(size)] = fold(joined.stack + tuple(bytes.fromhex(h) for h in stack))
            leaves = block["leaves"]
            if not leaves or leaves & (leaves - 1):  # not a power of two: the last slice
                break
            joined.push_subtree(bytes.fromhex(block["root"]), leaves.bit_length() - 1)
        return roots

    def _check_checkpoints(
        self, roots: dict[int, bytes], problems: dict[tuple[str, str, str], ChainProblem]
    ) -> int:
        """Each signed checkpoint still matches the chain's first entries (and its signature
        holds, when the signing key is known)."""
        checkpoints = self.checkpoints()
        for checkpoint in checkpoints:
            signed = self._signer is None or self._signer.verify(checkpoint.note)
            if signed and roots.get(checkpoint.size) == checkpoint.root:
                continue
            why = "its signature does not hold" if not signed else "the chain no longer has it"
            problems[("checkpoint", "checkpoints", str(checkpoint.size))] = ChainProblem(
                what="checkpoint",
                seq=checkpoint.size,
                kind="checkpoints",
                ref=str(checkpoint.size),
                detail=f"the checkpoint of size {checkpoint.size} fails: {why} "
                "(the chain was rewritten or truncated)",
            )
        return len(checkpoints)

    def _leaves(self, size: int | None = None) -> list[bytes]:
        sql = "SELECT hash FROM chain ORDER BY seq"
        if size is not None:
            sql += f" LIMIT {int(size)}"
        return [bytes.fromhex(h) for (h,) in self._db.connection().execute(sql)]

    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, signer: NoteSigner, origin: str, now: datetime) -> Checkpoint | None:
        leaves = self._leaves()
        latest = self.latest()
        if latest is not None:
            if latest.size > len(leaves) or root(leaves[: latest.size]) != latest.root:
                raise CheckpointRefused(
                    f"the chain no longer matches the checkpoint of size {latest.size}: "
                    "run nextbest audit verify"
                )
            if latest.size == len(leaves):
                return None
        if not leaves:
            return None
        signed = signer.sign(origin, len(leaves), root(leaves))
        with self._db.write() as conn:
            # several workers sign on the same schedule: the first to write a size keeps it
            if conn.execute("SELECT 1 FROM checkpoints WHERE size = ?", (signed.size,)).fetchone():
                return None
            conn.execute(
                "INSERT INTO checkpoints (size, root, note, created_us) VALUES (?, ?, ?, ?)",
                (signed.size, signed.root.hex(), signed.note, to_micros(now)),
            )
        return signed

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._db.connection().execute("SELECT note FROM checkpoints ORDER BY size")
        found = []
        for (note,) in rows:
            origin, size, digest = parse_note(note)
            found.append(Checkpoint(origin=origin, size=size, root=digest, note=note))
        return found

    def latest(self) -> Checkpoint | None:
        row = (
            self._db.connection()
            .execute("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1")
            .fetchone()
        )
        if row is None:
            return None
        origin, size, digest = parse_note(row[0])
        return Checkpoint(origin=origin, size=size, root=digest, note=row[0])

    # -- export ----------------------------------------------------------------------------

    def export(self, *, since: datetime | None, until: datetime | None) -> Iterator[ExportEntry]:
        conn = self._db.connection()
        clauses, params = [], []
        if since is not None:
            clauses.append("ts_us >= ?")
            params.append(to_micros(since))
        if until is not None:
            clauses.append("ts_us < ?")
            params.append(to_micros(until))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        entries = conn.execute(
            "SELECT seq, kind, ref, ts_us, payload_hash, prev, hash FROM chain"
            f"{where} ORDER BY seq",
            params,
        ).fetchall()
        for seq, kind, ref, ts_us, payload, prev, digest in entries:
            table = CHAINED[kind]
            columns = (*table.columns, table.big)
            row = conn.execute(
                f"SELECT {', '.join(columns)} FROM {table.name} WHERE {table.lookup_sql}",
                table.lookup_params(ref),
            ).fetchone()
            values = {} if row is None else dict(zip(columns, row, strict=True))
            yield ExportEntry(
                seq=seq,
                kind=kind,
                ref=ref,
                ts=from_micros(ts_us),
                payload_hash=payload,
                prev=prev,
                hash=digest,
                row={k: v.hex() if isinstance(v, bytes) else v for k, v in values.items()},
            )

    def close(self) -> None:
        if self._owns_db:
            self._db.close()


def export_line(entry: ExportEntry) -> str:
    """One JSONL line: the entry and its row, keys sorted."""
    return json.dumps(entry.model_dump(mode="json"), separators=(",", ":"), sort_keys=True)

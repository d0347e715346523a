"""The log cannot be changed unseen: the bypasses that once went unnoticed, and any deletion,
insertion or reordering, are each named by verify."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.audit.chain import CHAINED, GENESIS, entry_hash, payload_hash, select_payload
from agent.audit.checkpoint import NoteSigner
from agent.audit.store import CheckpointRefused, SqlAuditLog
from agent.outcomes import OutcomeIn
from agent.outcomes.store import SqlOutcomeStore
from agent.privacy.erasure import ErasureReceipt, SqlErasureLog
from agent.reviews import ReviewRecordV1
from agent.reviews.store import SqlReviewStore
from agent.stores.decision_log import SqlDecisionLog
from tests.agent.stores.conftest import CIPHER
from tests.factories import NOW
from tools import ActionType

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord

SIGNER = NoteSigner("nextbest.test/audit", Ed25519PrivateKey.from_private_bytes(b"s" * 32))


@dataclass
class Log:
    path: Path
    decisions: list[str]
    audit: SqlAuditLog

    def raw(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None)


def _fill(path: Path, make_record: MakeRecord, *, sealed: bool) -> list[str]:
    log = SqlDecisionLog(path, cipher=CIPHER if sealed else None)
    outcomes = SqlOutcomeStore(path)
    erasures = SqlErasureLog(path)
    ids = []
    for n in range(6):
        at = NOW + timedelta(minutes=n)
        record = log.append(make_record(customer_id=f"cus_{n % 2}", created_at=at))
        ids.append(record.decision_id)
        outcomes.append([(record.decision_id, OutcomeIn(id="x", type="executed"))], now=at)
    reviews = SqlReviewStore(path, cipher=CIPHER if sealed else None)
    reviews.append(
        ReviewRecordV1(
            review_id="rev_1",
            decision_id=ids[1],
            customer_id="cus_1",
            decision_action=ActionType.NO_ACTION,
            verdict="good",
            action=None,
            tags=["tone"],
            note="",
            reviewer="cx-lead",
            created_at=NOW + timedelta(minutes=30),
        )
    )
    erasures.append(
        ErasureReceipt(
            receipt_id="era_1",
            customer_token="tok_abc",
            erased_at=NOW + timedelta(hours=1),
            caller="admin",
            profile_deleted=True,
            events_deleted=0,
            records_sealed=0,
            derived_removed=[],
        )
    )
    for store in (log, outcomes, erasures, reviews):
        store.close()
    return ids


@pytest.fixture(params=["plaintext", "sealed", "sealed, in 3 worker processes"])
def log(request: pytest.FixtureRequest, tmp_path: Path, make_record: MakeRecord) -> Iterator[Log]:
    path = tmp_path / "nextbest.db"
    ids = _fill(path, make_record, sealed=request.param != "plaintext")
    workers = 3 if "worker" in request.param else 1
    audit = SqlAuditLog(path, signer=SIGNER, workers=workers, parallel_from=0)
    assert audit.checkpoint(SIGNER, SIGNER.name, NOW) is not None
    yield Log(path=path, decisions=ids, audit=audit)
    audit.close()


def _triggers(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
    ).fetchall()


def test_an_untouched_log_verifies(log: Log) -> None:
    report = log.audit.verify()
    assert report.ok, report.problems
    assert (report.entries, report.rows, report.checkpoints) == (14, 14, 1)
    assert report.first is None


def test_insert_or_replace_is_refused_and_caught_once_the_triggers_are_gone(log: Log) -> None:
    """The bypass that rewrote a decision: INSERT OR REPLACE with an edited copy."""
    conn = log.raw()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(decisions)")]
    sealed = conn.execute("SELECT record FROM decisions").fetchone()[0].startswith("enc1:")
    # the statement as it was tried on plaintext records; a sealed one is swapped whole
    edit = "'enc1:forged'" if sealed else "json_set(record, '$.rationale', 'Edited')"
    edited = ", ".join(edit if c == "record" else c for c in columns)
    replace = (
        f"INSERT OR REPLACE INTO decisions SELECT {edited} FROM decisions WHERE decision_id = ?"
    )
    with pytest.raises(sqlite3.IntegrityError, match="never replaced"):
        conn.execute(replace, (log.decisions[2],))
    conn.execute("BEGIN")
    for name, _ in _triggers(conn, "decisions"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(replace, (log.decisions[2],))
    conn.execute("COMMIT")
    conn.close()

    report = log.audit.verify()
    assert not report.ok
    assert report.first is not None
    assert (report.first.what, report.first.ref) == ("edited", log.decisions[2])


def test_a_delete_between_dropped_and_recreated_triggers_is_caught(log: Log) -> None:
    """The bypass that removed a row: DROP TRIGGER; DELETE; CREATE TRIGGER, in one go."""
    conn = log.raw()
    [(name, sql)] = [t for t in _triggers(conn, "decisions") if t[0] == "decisions_no_delete"]
    conn.executescript(
        f"BEGIN; DROP TRIGGER {name};"
        f" DELETE FROM decisions WHERE decision_id = '{log.decisions[4]}';"
        f" {sql}; COMMIT;"
    )
    assert [t[0] for t in _triggers(conn, "decisions") if t[0] == name] == [name]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    report = log.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.kind, report.first.ref) == (
        "deleted",
        "decisions",
        log.decisions[4],
    )


def test_an_outcome_deleted_is_caught(log: Log) -> None:
    conn = log.raw()
    conn.executescript(
        "BEGIN; DROP TRIGGER outcomes_no_delete;"
        f" DELETE FROM outcomes WHERE decision_id = '{log.decisions[1]}'; COMMIT;"
    )
    conn.close()
    report = log.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.ref) == ("deleted", f"{log.decisions[1]}/x")


def test_a_row_inserted_beside_the_chain_is_caught(log: Log) -> None:
    conn = log.raw()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(decisions)")]
    copied = ", ".join("'dec_forged'" if c == "decision_id" else c for c in columns)
    conn.execute(
        f"INSERT INTO decisions SELECT {copied} FROM decisions WHERE decision_id = ?",
        (log.decisions[0],),
    )
    conn.close()
    report = log.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.ref) == ("inserted", "dec_forged")


def test_a_chain_rewritten_around_an_insertion_breaks_the_checkpoint(log: Log) -> None:
    """Whoever forges entries for an inserted row must rewrite every later hash: the signed
    checkpoint of the chain as it was no longer matches."""
    conn = log.raw()
    columns = [row[1] for row in conn.execute("PRAGMA table_info(decisions)")]
    copied = ", ".join("'dec_forged'" if c == "decision_id" else c for c in columns)
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER chain_no_update")
    conn.execute("DROP TRIGGER chain_no_delete")
    conn.execute(
        f"INSERT INTO decisions SELECT {copied} FROM decisions WHERE decision_id = ?",
        (log.decisions[0],),
    )
    entries = conn.execute(
        "SELECT seq, kind, ref, ts_us, payload_hash FROM chain ORDER BY seq"
    ).fetchall()
    table = CHAINED["decisions"]
    forged = conn.execute(
        f"SELECT {select_payload(table)} FROM decisions WHERE decision_id = 'dec_forged'"
    ).fetchone()
    forged_payload = payload_hash(*forged)
    entries.insert(3, (0, "decisions", "dec_forged", entries[2][3], forged_payload))
    conn.execute("DELETE FROM chain")
    prev = GENESIS
    for seq, (_, kind, ref, ts_us, payload) in enumerate(entries, start=1):
        digest = entry_hash(prev, seq, kind, ref, payload)
        conn.execute(
            "INSERT INTO chain (seq, kind, ref, ts_us, payload_hash, prev, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, kind, ref, ts_us, payload, prev, digest),
        )
        prev = digest
    conn.execute("COMMIT")
    conn.close()

    report = log.audit.verify()
    assert [p.what for p in report.problems] == ["checkpoint"]
    with pytest.raises(CheckpointRefused, match="no longer matches"):
        log.audit.checkpoint(SIGNER, SIGNER.name, NOW)


def test_reordered_entries_are_caught(log: Log) -> None:
    conn = log.raw()
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER chain_no_update")
    conn.execute("UPDATE chain SET seq = -1 WHERE seq = 3")
    conn.execute("UPDATE chain SET seq = 3 WHERE seq = 4")
    conn.execute("UPDATE chain SET seq = 4 WHERE seq = -1")
    conn.execute("COMMIT")
    conn.close()
    report = log.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.seq) == ("link", 3)


def test_every_checkpoint_is_checked_across_the_slices(
    tmp_path: Path, make_record: MakeRecord
) -> None:
    """Checkpoints signed as the chain grew, checked by workers that each grow one aligned
    slice of the Merkle tree: all hold, and an entry cut out fails the later ones."""
    path = tmp_path / "nextbest.db"
    log = SqlDecisionLog(path)
    audit = SqlAuditLog(path, signer=SIGNER, workers=3, parallel_from=0)
    for n in range(11):
        log.append(make_record(created_at=NOW + timedelta(minutes=n)))
        if n in {0, 3, 4, 7, 10}:
            audit.checkpoint(SIGNER, SIGNER.name, NOW)
    log.close()
    report = audit.verify()
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints) == (11, 5)

    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript("DROP TRIGGER chain_no_delete; DELETE FROM chain WHERE seq = 6;")
    conn.close()
    report = audit.verify()
    assert [(p.what, p.seq) for p in report.problems] == [
        ("link", 7),
        ("checkpoint", 8),  # the checkpoints of sizes 1, 4 and 5 still hold
        ("checkpoint", 11),
        ("inserted", None),  # the sixth decision, now without an entry
    ]
    audit.close()


def test_since_checks_only_the_window_but_every_checkpoint(log: Log) -> None:
    cut = NOW + timedelta(minutes=3)
    report = log.audit.verify(since=cut)
    assert report.ok, report.problems
    # 3 decisions, 3 outcomes, 1 review, 1 receipt
    assert (report.rows, report.checkpoints) == (8, 1)

    conn = log.raw()
    conn.executescript(
        "DROP TRIGGER decisions_no_update;"
        f" UPDATE decisions SET created_us = 0 WHERE decision_id = '{log.decisions[4]}';"
    )
    conn.close()
    report = log.audit.verify(since=cut)
    assert report.first is not None
    assert (report.first.what, report.first.ref) == ("edited", log.decisions[4])


def test_a_review_whose_verdict_was_changed_is_caught(log: Log) -> None:
    conn = log.raw()
    conn.executescript("DROP TRIGGER reviews_no_update; UPDATE reviews SET verdict = 'harmful';")
    conn.close()
    report = log.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.kind, report.first.ref) == (
        "edited",
        "reviews",
        "rev_1",
    )

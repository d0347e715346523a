"""The audit log on every backend: append-only enforced by the database, and verify naming
what was edited, deleted or inserted beside the chain once someone goes around the triggers
(the SQLite-specific bypasses and the worker processes are in tests/agent/audit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.audit.checkpoint import NoteSigner
from agent.audit.store import SqlAuditLog
from agent.outcomes import OutcomeIn
from agent.outcomes.store import SqlOutcomeStore
from agent.privacy.erasure import ErasureReceipt, SqlErasureLog
from agent.reviews import ReviewRecordV1
from agent.reviews.store import SqlReviewStore
from agent.stores.database import IntegrityError
from tests.agent.stores.conftest import CIPHER
from tests.factories import NOW
from tools import ActionType

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord
    from tests.agent.stores.conftest import Backend

SIGNER = NoteSigner("nextbest.test/audit", Ed25519PrivateKey.from_private_bytes(b"c" * 32))


@dataclass
class Filled:
    decisions: list[str]
    audit: SqlAuditLog


@pytest.fixture
def filled(backend: Backend, make_record: MakeRecord) -> Filled:
    """Six sealed decisions with an outcome each, a review and an erasure receipt: 14 rows
    of five chained tables, and a signed checkpoint of them."""
    log = backend.decisions()
    outcomes = backend.open(SqlOutcomeStore)
    ids = []
    for n in range(6):
        at = NOW + timedelta(minutes=n)
        record = log.append(make_record(customer_id=f"cus_{n % 2}", created_at=at))
        ids.append(record.decision_id)
        outcomes.append([(record.decision_id, OutcomeIn(id="x", type="executed"))], now=at)
    backend.open(SqlReviewStore, cipher=CIPHER).append(
        ReviewRecordV1(
            review_id="rev_1",
            decision_id=ids[1],
            customer_id="cus_1",
            decision_action=ActionType.NO_ACTION,
            verdict="good",
            action=None,
            tags=["tone"],
            note='Right call: "wait" — 100% fine',
            reviewer="cx-lead",
            created_at=NOW + timedelta(minutes=30),
        )
    )
    backend.open(SqlErasureLog).append(
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
    audit = backend.open(SqlAuditLog, signer=SIGNER)
    assert audit.checkpoint(SIGNER, SIGNER.name, NOW) is not None
    return Filled(decisions=ids, audit=audit)


def test_an_untouched_log_verifies(filled: Filled) -> None:
    report = filled.audit.verify()
    assert report.ok, report.problems
    assert (report.entries, report.rows, report.checkpoints) == (14, 14, 1)
    assert filled.audit.verify(since=NOW + timedelta(minutes=3)).ok


def test_export_covers_every_entry_in_order(filled: Filled) -> None:
    entries = list(filled.audit.export(since=None, until=None))
    assert [entry.seq for entry in entries] == list(range(1, 15))
    assert entries[0].row["decision_id"] == filled.decisions[0]
    assert {entry.kind for entry in entries} == {"decisions", "outcomes", "reviews", "erasures"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE decisions SET action_type = 'offer_incentive'",
        "DELETE FROM decisions",
        "UPDATE chain SET hash = prev",
        "DELETE FROM outcomes",
        "DELETE FROM reviews",
    ],
)
def test_the_database_refuses_to_change_the_log(
    backend: Backend, filled: Filled, statement: str
) -> None:
    with pytest.raises((*IntegrityError, psycopg.errors.RaiseException), match="append-only"):
        backend.raw(statement, False)
    assert filled.audit.verify().ok


def test_an_edit_past_the_triggers_is_caught(backend: Backend, filled: Filled) -> None:
    backend.raw(
        f"UPDATE decisions SET action_type = 'offer_incentive'"
        f" WHERE decision_id = '{filled.decisions[2]}'",
        True,
    )
    report = filled.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.ref) == ("edited", filled.decisions[2])


def test_a_deletion_past_the_triggers_is_caught(backend: Backend, filled: Filled) -> None:
    backend.raw(f"DELETE FROM outcomes WHERE decision_id = '{filled.decisions[4]}'", True)
    report = filled.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.ref) == ("deleted", f"{filled.decisions[4]}/x")


def test_a_row_inserted_beside_the_chain_is_caught(backend: Backend, filled: Filled) -> None:
    backend.raw(
        "INSERT INTO reviews SELECT 'rev_forged', decision_id, customer_id, verdict, reviewer,"
        " tags, created_us, body FROM reviews WHERE review_id = 'rev_1'",
        False,
    )
    report = filled.audit.verify()
    assert report.first is not None
    assert (report.first.what, report.first.ref) == ("inserted", "rev_forged")


def test_a_rewritten_chain_breaks_the_checkpoint(backend: Backend, filled: Filled) -> None:
    backend.raw("DELETE FROM chain WHERE seq = 14", True)
    report = filled.audit.verify()
    # the entry is gone, so its row stands beside the chain; the signed head no longer holds
    assert {problem.what for problem in report.problems} == {"checkpoint", "inserted"}


def test_two_workers_signing_the_same_head_write_it_once(
    backend: Backend, filled: Filled, make_record: MakeRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every worker signs on the same schedule: the second to sign a head it also saw grow
    gets None, not an error."""
    backend.decisions().append(make_record(created_at=NOW + timedelta(hours=2)))
    first, second = filled.audit, backend.open(SqlAuditLog, signer=SIGNER)
    before = second.latest()  # both read the last checkpoint before either writes
    assert before is not None
    assert before.size == 14
    monkeypatch.setattr(SqlAuditLog, "latest", lambda self: before)
    signed = first.checkpoint(SIGNER, SIGNER.name, NOW)
    assert signed is not None
    assert signed.size == 15
    assert second.checkpoint(SIGNER, SIGNER.name, NOW) is None
    monkeypatch.undo()
    assert [c.size for c in second.checkpoints()] == [14, 15]
    assert first.verify().ok

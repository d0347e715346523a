"""DecisionLog conformance: every backend (the ``backend`` fixture) must pass these."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from agent.record import DecisionRecordV1
from agent.stores.decision_log import (
    DecisionLog,
    DecisionQuery,
    DuplicateDecisionError,
    ErasedDecision,
    IdempotencyConflict,
    RecordErased,
)
from agent.stores.page import InvalidCursor
from tests.factories import NOW
from tools import ActionType

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord
    from tests.agent.stores.conftest import Backend


def _all_ids(log: DecisionLog, q: DecisionQuery, limit: int = 50) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(1000):  # bounded, so a cursor that never advances fails instead of hanging
        page = log.query(q, limit=limit, cursor=cursor)
        ids += [r.decision_id for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError(f"pagination did not end; {len(ids)} items so far")


def test_append_then_get_round_trips(decisions: DecisionLog, make_record: MakeRecord) -> None:
    record = make_record(action_type=ActionType.OFFER_INCENTIVE, idempotency_key="k1")
    assert decisions.append(record) == record
    assert decisions.get(record.decision_id) == record
    assert decisions.get("dec_missing") is None


@pytest.mark.parametrize("action_type", list(ActionType))
def test_every_action_type_round_trips(
    decisions: DecisionLog, make_record: MakeRecord, action_type: ActionType
) -> None:
    record = make_record(action_type=action_type)
    decisions.append(record)
    assert decisions.get(record.decision_id) == record


def test_same_decision_id_twice_is_refused(decisions: DecisionLog, make_record: MakeRecord) -> None:
    record = make_record(decision_id="dec_same")
    decisions.append(record)
    with pytest.raises(DuplicateDecisionError, match="dec_same"):
        decisions.append(make_record(decision_id="dec_same", customer_id="cus_2"))
    assert decisions.get("dec_same") == record


# -- idempotency -----------------------------------------------------------------------------


def test_reused_key_raises_conflict_with_the_earlier_record(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    first = make_record(idempotency_key="retry-1")
    decisions.append(first)
    retry = make_record(idempotency_key="retry-1", created_at=NOW + timedelta(seconds=1))

    with pytest.raises(IdempotencyConflict) as caught:
        decisions.append(retry)

    assert caught.value.existing == first
    assert decisions.get(retry.decision_id) is None
    assert _all_ids(decisions, DecisionQuery()) == [first.decision_id]


def test_keys_are_scoped_per_customer_and_none_never_conflicts(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    decisions.append(make_record(customer_id="cus_1", idempotency_key="k"))
    decisions.append(make_record(customer_id="cus_2", idempotency_key="k"))
    decisions.append(make_record(customer_id="cus_1"))
    decisions.append(make_record(customer_id="cus_1"))
    assert len(_all_ids(decisions, DecisionQuery())) == 4


def test_find_by_idempotency_key(decisions: DecisionLog, make_record: MakeRecord) -> None:
    mine = make_record(customer_id="cus_1", idempotency_key="k")
    decisions.append(mine)
    assert decisions.find_by_idempotency_key("cus_1", "k") == mine
    assert decisions.find_by_idempotency_key("cus_2", "k") is None
    assert decisions.find_by_idempotency_key("cus_1", "other") is None


def test_concurrent_retries_write_one_row(decisions: DecisionLog, make_record: MakeRecord) -> None:
    records = [make_record(idempotency_key="race") for _ in range(8)]
    barrier = threading.Barrier(8)

    def attempt(record: DecisionRecordV1) -> DecisionRecordV1:
        barrier.wait()
        try:
            return decisions.append(record)
        except IdempotencyConflict as conflict:
            return conflict.existing

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, records))

    winner = decisions.find_by_idempotency_key("cus_1", "race")
    assert winner is not None
    assert all(o == winner for o in outcomes)
    assert _all_ids(decisions, DecisionQuery()) == [winner.decision_id]


# -- query -----------------------------------------------------------------------------------


def test_query_is_newest_first(decisions: DecisionLog, make_record: MakeRecord) -> None:
    records = [make_record(created_at=NOW + timedelta(minutes=n)) for n in (2, 0, 3, 1)]
    for record in records:
        decisions.append(record)
    page = decisions.query(DecisionQuery())
    assert [r.created_at for r in page.items] == [NOW + timedelta(minutes=n) for n in (3, 2, 1, 0)]
    assert page.next_cursor is None


def test_query_ties_on_created_at_are_ordered_by_decision_id(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    for did in ["dec_b", "dec_c", "dec_a"]:
        decisions.append(make_record(decision_id=did))
    assert _all_ids(decisions, DecisionQuery(), limit=1) == ["dec_c", "dec_b", "dec_a"]


def test_pages_are_stable_while_decisions_arrive(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    originals = [make_record(created_at=NOW + timedelta(seconds=n)) for n in range(8)]
    originals.append(make_record(created_at=NOW + timedelta(seconds=3)))  # a tie in time
    for record in originals:
        decisions.append(record)
    expected = [
        r.decision_id
        for r in sorted(originals, key=lambda r: (r.created_at, r.decision_id), reverse=True)
    ]

    seen: list[str] = []
    page = decisions.query(DecisionQuery(), limit=3)
    seen += [r.decision_id for r in page.items]
    for wave in range(2):
        for n in range(2):  # newer decisions land while the caller pages on
            decisions.append(make_record(created_at=NOW + timedelta(hours=1 + wave, seconds=n)))
        page = decisions.query(DecisionQuery(), limit=3, cursor=page.next_cursor)
        seen += [r.decision_id for r in page.items]

    assert seen == expected
    assert page.next_cursor is None
    assert len(_all_ids(decisions, DecisionQuery())) == 13


_FILTER_CASES: list[Any] = [
    pytest.param({"customer_id": "cus_2"}, {"c2"}, id="customer"),
    pytest.param({"action_type": ActionType.OFFER_INCENTIVE}, {"offer"}, id="action-type"),
    pytest.param({"mode": "llm"}, {"llm"}, id="mode"),
    pytest.param({"kind": "briefing"}, {"brief"}, id="kind"),
    pytest.param({"since": NOW + timedelta(minutes=5)}, {"at5", "at9"}, id="since-inclusive"),
    pytest.param(
        {"until": NOW + timedelta(minutes=5)},
        {"base", "c2", "offer", "llm", "brief"},
        id="until-exclusive",
    ),
    pytest.param(
        {"since": NOW + timedelta(minutes=1), "until": NOW + timedelta(minutes=9)},
        {"at5"},
        id="window",
    ),
    pytest.param(
        {"customer_id": "cus_1", "action_type": ActionType.SEND_MESSAGE, "mode": "rules"},
        {"base", "brief", "at5", "at9"},
        id="combined",
    ),
    pytest.param({"customer_id": "cus_nobody"}, set(), id="no-match"),
]


@pytest.mark.parametrize(("filters", "expected"), _FILTER_CASES)
def test_query_filters(
    decisions: DecisionLog, make_record: MakeRecord, filters: dict[str, Any], expected: set[str]
) -> None:
    rows = {
        "base": make_record(),
        "c2": make_record(customer_id="cus_2"),
        "offer": make_record(action_type=ActionType.OFFER_INCENTIVE),
        "llm": make_record(mode="llm"),
        "brief": make_record(kind="briefing"),
        "at5": make_record(created_at=NOW + timedelta(minutes=5)),
        "at9": make_record(created_at=NOW + timedelta(minutes=9)),
    }
    for record in rows.values():
        decisions.append(record)
    names = {r.decision_id: name for name, r in rows.items()}
    found = _all_ids(decisions, DecisionQuery(**filters), limit=2)
    assert {names[i] for i in found} == expected
    assert len(found) == len(expected)


def test_query_model_refuses_bad_filters() -> None:
    with pytest.raises(ValidationError, match="since must not be after until"):
        DecisionQuery(since=NOW, until=NOW - timedelta(seconds=1))
    with pytest.raises(ValidationError):
        DecisionQuery(since=NOW.replace(tzinfo=None))
    with pytest.raises(ValidationError):
        DecisionQuery(action_type="fly_to_moon")  # type: ignore[arg-type]


@pytest.mark.parametrize("cursor", ["bogus", "", "eyJ0IjogMX0"])
def test_query_rejects_a_bad_cursor(decisions: DecisionLog, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decisions.query(DecisionQuery(), cursor=cursor)


def test_query_rejects_a_cursor_of_another_query(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    for n in range(3):
        decisions.append(make_record(created_at=NOW + timedelta(seconds=n)))
    cursor = decisions.query(DecisionQuery(customer_id="cus_1"), limit=1).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursor, match="other filters"):
        decisions.query(DecisionQuery(mode="llm"), cursor=cursor)


# -- durability and concurrency --------------------------------------------------------------


def test_decisions_survive_reopening(backend: Backend, make_record: MakeRecord) -> None:
    log = backend.decisions()
    record = make_record(idempotency_key="k")
    log.append(record)
    log.close()

    reopened = backend.decisions()
    assert reopened.get(record.decision_id) == record
    assert reopened.find_by_idempotency_key("cus_1", "k") == record
    with pytest.raises(IdempotencyConflict):
        reopened.append(make_record(idempotency_key="k"))


def test_concurrent_appends_and_reads(decisions: DecisionLog, make_record: MakeRecord) -> None:
    def work(worker: int) -> int:
        for n in range(50):
            decisions.append(
                make_record(
                    customer_id=f"cus_{worker}",
                    created_at=NOW + timedelta(milliseconds=n),
                    idempotency_key=f"k{n}",
                )
            )
            if n % 10 == 0:
                decisions.query(DecisionQuery(), limit=20)
                decisions.find_by_idempotency_key(f"cus_{worker}", f"k{n}")
        return worker

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(work, range(8))) == list(range(8))

    ids = _all_ids(decisions, DecisionQuery(), limit=500)
    assert len(ids) == len(set(ids)) == 400
    assert len(_all_ids(decisions, DecisionQuery(customer_id="cus_5"))) == 50


def test_erasure_shreds_one_customers_records_only(
    decisions: DecisionLog, make_record: MakeRecord
) -> None:
    mine = [decisions.append(make_record(customer_id="cus_gone")) for _ in range(2)]
    theirs = decisions.append(make_record(customer_id="cus_stays"))

    assert decisions.shred("cus_gone") == 2
    assert decisions.shred("cus_gone") == 0  # the key is gone already
    with pytest.raises(RecordErased, match="cus_gone' was erased"):
        decisions.get(mine[0].decision_id)
    assert decisions.get(theirs.decision_id) == theirs
    page = decisions.query(DecisionQuery())
    erased = [item for item in page.items if isinstance(item, ErasedDecision)]
    assert {e.decision_id for e in erased} == {r.decision_id for r in mine}
    assert all(e.customer_id == "cus_gone" and e.erased for e in erased)
    assert erased[0].action_type == mine[0].chosen.call.type
    later = decisions.append(make_record(customer_id="cus_gone"))  # a new key from now on
    assert decisions.get(later.decision_id) == later

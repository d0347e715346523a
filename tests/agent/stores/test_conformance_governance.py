"""Reviews, erasure receipts and derived files on every backend: filters and pages of reviews,
a review whose customer was erased, receipts found by token, files swept by customer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agent.privacy.derived import SqlDerivedFiles
from agent.privacy.erasure import ErasureReceipt, SqlErasureLog
from agent.reviews import ErasedReview, ReviewRecordV1
from agent.reviews.store import ReviewQuery, SqlReviewStore
from agent.stores.page import InvalidCursor
from tests.agent.stores.conftest import CIPHER
from tests.factories import NOW
from tools import ActionType

if TYPE_CHECKING:
    from tests.agent.stores.conftest import Backend


def _review(n: int, *, verdict: str = "good", tags: list[str] | None = None) -> ReviewRecordV1:
    return ReviewRecordV1(
        review_id=f"rev_{n:03d}",
        decision_id=f"dec_{n % 3}",
        customer_id=f"cus_{n % 2}",
        decision_action=ActionType.NO_ACTION,
        verdict=verdict,  # type: ignore[arg-type]
        action=None,
        tags=tags if tags is not None else ["tone"],
        note=f"note {n} — 100% sure",
        reviewer="cx-lead" if n % 2 else "qa",
        created_at=NOW + timedelta(minutes=n),
    )


@pytest.fixture
def reviews(backend: Backend) -> SqlReviewStore:
    store = backend.open(SqlReviewStore, cipher=CIPHER)
    for n in range(7):
        store.append(
            _review(
                n,
                verdict="poor" if n in (2, 5) else "good",
                tags=["tone", "wrong"] if n == 5 else None,
            )
        )
    return store


def test_reviews_page_newest_first(reviews: SqlReviewStore) -> None:
    seen, cursor = [], None
    for _ in range(10):
        page = reviews.query(ReviewQuery(), limit=3, cursor=cursor)
        seen += [r.review_id for r in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [f"rev_{n:03d}" for n in range(6, -1, -1)]


def test_reviews_filter_by_every_field(reviews: SqlReviewStore) -> None:
    def ids(q: ReviewQuery) -> list[str]:
        return [r.review_id for r in reviews.query(q).items]

    assert ids(ReviewQuery(verdict="poor")) == ["rev_005", "rev_002"]
    assert ids(ReviewQuery(tag="wrong")) == ["rev_005"]
    assert ids(ReviewQuery(tag="ton")) == []  # a tag matches whole, not as a prefix
    assert ids(ReviewQuery(decision_id="dec_1")) == ["rev_004", "rev_001"]
    assert ids(ReviewQuery(reviewer="qa", since=NOW + timedelta(minutes=2))) == [
        "rev_006",
        "rev_004",
        "rev_002",
    ]
    assert ids(ReviewQuery(until=NOW + timedelta(minutes=1))) == ["rev_000"]


def test_a_cursor_of_other_filters_is_refused(reviews: SqlReviewStore) -> None:
    page = reviews.query(ReviewQuery(verdict="good"), limit=1)
    assert page.next_cursor is not None
    with pytest.raises(InvalidCursor):
        reviews.query(ReviewQuery(verdict="poor"), cursor=page.next_cursor)


def test_an_erased_customers_reviews_keep_only_what_the_log_says(
    backend: Backend, reviews: SqlReviewStore
) -> None:
    assert backend.decisions().shred("cus_1") == 0  # no decisions: only the key goes
    found = {r.review_id: r for r in reviews.query(ReviewQuery()).items}
    assert isinstance(found["rev_001"], ErasedReview)
    assert found["rev_001"].tags == ["tone"]
    assert isinstance(found["rev_000"], ReviewRecordV1)
    assert found["rev_000"].note == "note 0 — 100% sure"


def test_erasure_receipts_are_found_by_token(backend: Backend) -> None:
    log = backend.open(SqlErasureLog)
    for n, token in enumerate(["tok_a", "tok_b", "tok_a"]):
        log.append(
            ErasureReceipt(
                receipt_id=f"era_{n}",
                customer_token=token,
                erased_at=NOW + timedelta(hours=n),
                caller="admin",
                profile_deleted=n == 0,
                events_deleted=n,
                records_sealed=0,
                derived_removed=[],
            )
        )
    assert [r.receipt_id for r in backend.open(SqlErasureLog).find("tok_a")] == ["era_0", "era_2"]
    assert log.find("tok_c") == []


def test_derived_files_are_swept_by_customer(backend: Backend, tmp_path: Path) -> None:
    files = backend.open(SqlDerivedFiles)
    mine, theirs = tmp_path / "mine.yaml", tmp_path / "theirs.yaml"
    for path in (mine, theirs):
        path.write_text("scenario")
    files.register(mine, "cus_1", "eval scenario", NOW)
    files.register(mine, "cus_1", "eval scenario", NOW)  # registering again is harmless
    files.register(theirs, "cus_2", "eval scenario", NOW)
    assert files.sweep("cus_1") == ["eval scenario"]
    assert not mine.exists()
    assert theirs.exists()
    assert files.sweep("cus_1") == []

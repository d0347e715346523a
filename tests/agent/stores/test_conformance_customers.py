"""CustomerStore conformance: every backend (the ``backend`` fixture) must pass these."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from agent.stores.customers import CustomerNotFoundError, CustomerStore
from agent.stores.page import InvalidCursor
from tests.factories import NOW, profile

if TYPE_CHECKING:
    from tests.agent.conftest import MakeEvent
    from tests.agent.stores.conftest import Backend


def _ids(store: CustomerStore, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    for _ in range(1000):  # bounded, so a cursor that never advances fails instead of hanging
        page = store.list_profiles(limit=limit, cursor=cursor)
        pages.append([p.customer_id for p in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError(f"pagination did not end after {len(pages)} pages")


# -- profiles --------------------------------------------------------------------------------


def test_put_profile_creates_then_replaces(customers: CustomerStore) -> None:
    first = profile(customer_id="cus_a", name="Ada")
    assert customers.put_profile(first) is True
    assert customers.get_profile("cus_a") == first

    second = profile(customer_id="cus_a", name="Ada Lovelace", tier="platinum", churn_risk=0.3)
    assert customers.put_profile(second) is False
    assert customers.get_profile("cus_a") == second


def test_get_profile_of_unknown_customer_is_none(customers: CustomerStore) -> None:
    assert customers.get_profile("cus_nobody") is None


def test_profile_round_trip_keeps_every_field(customers: CustomerStore) -> None:
    rich = profile(
        customer_id="cus_rich",
        lifetime_value="1234.50",
        products=[{"id": "plan_pro", "name": "Pro", "monthly_price": "19.99"}],
        open_cases=[{"id": "case_1", "type": "complaint", "opened_at": NOW}],
        attributes={"plan": "pro", "seats": 3, "beta": True, "score": 0.5, "none": None},
    )
    customers.put_profile(rich)
    assert customers.get_profile("cus_rich") == rich


def test_list_profiles_pages_in_customer_id_order(customers: CustomerStore) -> None:
    for cid in ["cus_e", "cus_b", "cus_g", "cus_a", "cus_d", "cus_f", "cus_c"]:
        customers.put_profile(profile(customer_id=cid))
    assert _ids(customers, limit=3) == [
        ["cus_a", "cus_b", "cus_c"],
        ["cus_d", "cus_e", "cus_f"],
        ["cus_g"],
    ]


def test_list_profiles_last_full_page_has_no_cursor(customers: CustomerStore) -> None:
    for cid in ["cus_a", "cus_b"]:
        customers.put_profile(profile(customer_id=cid))
    page = customers.list_profiles(limit=2)
    assert [p.customer_id for p in page.items] == ["cus_a", "cus_b"]
    assert page.next_cursor is None


def test_list_profiles_is_stable_while_profiles_arrive(customers: CustomerStore) -> None:
    originals = [f"cus_{n:02d}" for n in range(0, 18, 2)]  # cus_00, cus_02, ... cus_16
    for cid in originals:
        customers.put_profile(profile(customer_id=cid))

    seen: list[str] = []
    first = customers.list_profiles(limit=3)
    seen += [p.customer_id for p in first.items]
    customers.put_profile(profile(customer_id="cus_01"))  # behind the cursor: not seen
    customers.put_profile(profile(customer_id="cus_02", name="Replaced"))  # already seen
    second = customers.list_profiles(limit=3, cursor=first.next_cursor)
    seen += [p.customer_id for p in second.items]
    customers.put_profile(profile(customer_id="cus_00b"))  # behind the cursor
    third = customers.list_profiles(limit=3, cursor=second.next_cursor)
    seen += [p.customer_id for p in third.items]

    assert seen == originals
    assert third.next_cursor is None


def test_list_profiles_of_empty_store(customers: CustomerStore) -> None:
    page = customers.list_profiles()
    assert page.items == []
    assert page.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJ0IjogMX0", ""])
def test_list_profiles_rejects_a_bad_cursor(customers: CustomerStore, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        customers.list_profiles(cursor=cursor)


@pytest.mark.parametrize("limit", [0, 10_000])
def test_list_profiles_rejects_a_bad_limit(customers: CustomerStore, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        customers.list_profiles(limit=limit)


# -- events ----------------------------------------------------------------------------------


def test_append_events_counts_new_and_ignores_resent(
    customers: CustomerStore, make_event: MakeEvent
) -> None:
    customers.put_profile(profile(customer_id="cus_a"))
    batch = [make_event(f"evt_{n}", NOW - timedelta(minutes=n)) for n in range(3)]
    assert customers.append_events("cus_a", batch) == 3
    assert customers.append_events("cus_a", batch) == 0

    changed = make_event("evt_0", NOW, type="login_failed")  # same id, other content: ignored
    fresh = make_event("evt_9", NOW - timedelta(minutes=9))
    assert customers.append_events("cus_a", [changed, fresh, fresh]) == 1

    stored = customers.recent_events("cus_a", since=NOW - timedelta(days=1))
    assert [e.id for e in stored] == ["evt_9", "evt_2", "evt_1", "evt_0"]
    assert stored[-1] == batch[0]


def test_append_no_events_is_zero(customers: CustomerStore) -> None:
    customers.put_profile(profile(customer_id="cus_a"))
    assert customers.append_events("cus_a", []) == 0


def test_append_events_for_unknown_customer_fails(
    customers: CustomerStore, make_event: MakeEvent
) -> None:
    with pytest.raises(CustomerNotFoundError, match="cus_ghost"):
        customers.append_events("cus_ghost", [make_event("evt_1", NOW)])
    assert customers.recent_events("cus_ghost", since=NOW - timedelta(days=1)) == []


def test_event_ids_are_scoped_per_customer(customers: CustomerStore, make_event: MakeEvent) -> None:
    for cid in ["cus_a", "cus_b"]:
        customers.put_profile(profile(customer_id=cid))
    assert customers.append_events("cus_a", [make_event("evt_1", NOW)]) == 1
    assert customers.append_events("cus_b", [make_event("evt_1", NOW, type="search")]) == 1
    since = NOW - timedelta(hours=1)
    assert [e.type for e in customers.recent_events("cus_a", since=since)] == ["page_view"]
    assert [e.type for e in customers.recent_events("cus_b", since=since)] == ["search"]


def test_recent_events_window_is_inclusive_and_oldest_first(
    customers: CustomerStore, make_event: MakeEvent
) -> None:
    customers.put_profile(profile(customer_id="cus_a"))
    since = NOW - timedelta(days=7)
    events = [
        make_event("evt_old", since - timedelta(microseconds=1)),
        make_event("evt_edge", since),
        make_event("evt_mid", NOW - timedelta(days=2), text="my login fails"),
        make_event("evt_new", NOW),
    ]
    customers.append_events("cus_a", list(reversed(events)))
    assert customers.recent_events("cus_a", since=since) == events[1:]


def test_recent_events_limit_keeps_the_newest(
    customers: CustomerStore, make_event: MakeEvent
) -> None:
    customers.put_profile(profile(customer_id="cus_a"))
    customers.append_events(
        "cus_a", [make_event(f"evt_{n:02d}", NOW - timedelta(minutes=n)) for n in range(10)]
    )
    recent = customers.recent_events("cus_a", since=NOW - timedelta(days=1), limit=4)
    assert [e.id for e in recent] == ["evt_03", "evt_02", "evt_01", "evt_00"]


def test_recent_events_accepts_any_timezone(
    customers: CustomerStore, make_event: MakeEvent
) -> None:
    from zoneinfo import ZoneInfo

    customers.put_profile(profile(customer_id="cus_a"))
    customers.append_events("cus_a", [make_event("evt_1", NOW)])
    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin"))
    assert len(customers.recent_events("cus_a", since=berlin)) == 1
    assert customers.recent_events("cus_a", since=berlin + timedelta(microseconds=1)) == []


# -- durability and concurrency --------------------------------------------------------------


def test_data_survives_reopening(backend: Backend, make_event: MakeEvent) -> None:
    store = backend.customers()
    store.put_profile(profile(customer_id="cus_a"))
    store.append_events("cus_a", [make_event("evt_1", NOW)])
    store.close()

    reopened = backend.customers()
    assert reopened.get_profile("cus_a") == profile(customer_id="cus_a")
    assert [e.id for e in reopened.recent_events("cus_a", since=NOW)] == ["evt_1"]


def test_concurrent_writers_and_readers(customers: CustomerStore, make_event: MakeEvent) -> None:
    def work(worker: int) -> int:
        cid = f"cus_{worker}"
        created = customers.put_profile(profile(customer_id=cid))
        added = 0
        for n in range(25):
            event = make_event(f"evt_{n}", NOW - timedelta(seconds=n))
            added += customers.append_events(cid, [event, event])
            customers.list_profiles(limit=5)
            customers.append_events("cus_shared", [make_event(f"evt_{worker}_{n}", NOW)])
        return added + (1000 if created else 0)

    customers.put_profile(profile(customer_id="cus_shared"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))

    assert results == [1025] * 8
    since = NOW - timedelta(days=1)
    assert len(customers.recent_events("cus_shared", since=since, limit=500)) == 200
    assert len(customers.recent_events("cus_3", since=since)) == 25

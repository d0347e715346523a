"""The page model and the opaque cursor codec."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from agent.stores.page import (
    MAX_PAGE_SIZE,
    CursorKey,
    InvalidCursor,
    Page,
    check_limit,
    decode_cursor,
    encode_cursor,
)


class _Key(CursorKey):
    t: int
    id: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_cursor_round_trips_and_is_url_safe() -> None:
    key = _Key(t=1_700_000_000_123_456, id="dec_01J/+?")
    cursor = encode_cursor(key)
    assert decode_cursor(cursor, _Key) == key
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("not a cursor!", id="not-base64"),
        pytest.param("Zm9v", id="base64-not-json"),
        pytest.param(_b64(b'{"t": "soon", "id": "x"}'), id="wrong-type"),
        pytest.param(_b64(b'{"t": 1}'), id="missing-field"),
        pytest.param(_b64(b'{"t": 1, "id": "x", "extra": 2}'), id="unknown-field"),
        pytest.param(_b64(b"\xff\xfe"), id="not-utf8"),
        pytest.param("é" * 8, id="non-ascii"),
        pytest.param("A" * 3000, id="too-long"),
    ],
)
def test_malformed_cursor_raises_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor, match="invalid cursor"):
        decode_cursor(cursor, _Key)


def test_invalid_cursor_is_a_value_error() -> None:
    assert issubclass(InvalidCursor, ValueError)


def test_page_is_generic_and_frozen() -> None:
    page = Page[int](items=[1, 2], next_cursor="abc")
    assert page.items == [1, 2]
    with pytest.raises(ValidationError):
        Page[int](items=["x"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        page.next_cursor = None  # type: ignore[misc]
    assert Page[int](items=[]).next_cursor is None


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE_SIZE + 1])
def test_check_limit_rejects_out_of_range(limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be between"):
        check_limit(limit)


@pytest.mark.parametrize("limit", [1, MAX_PAGE_SIZE])
def test_check_limit_accepts_the_bounds(limit: int) -> None:
    assert check_limit(limit) == limit

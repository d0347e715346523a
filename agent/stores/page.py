"""One page of a listing, and the opaque cursor that fetches the next one.

A cursor is the base64url of a small JSON object (the last sort key of the page, and whatever
else a store needs to tell a stale or foreign cursor). Callers must treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "MAX_PAGE_SIZE",
    "CursorKey",
    "InvalidCursor",
    "Page",
    "check_limit",
    "decode_cursor",
    "encode_cursor",
]

MAX_PAGE_SIZE = 500

T = TypeVar("T")
K = TypeVar("K", bound="CursorKey")


class InvalidCursor(ValueError):  # noqa: N818 - contract name
    """A cursor that this listing did not issue, or that was altered on the way."""


class Page(BaseModel, Generic[T]):
    """Items in a stable order; ``next_cursor`` is None on the last page."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass back as `cursor` to fetch the next page; None when done."
    )


class CursorKey(BaseModel):
    """Base of a store's cursor payload: frozen, unknown fields rejected, short field names."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def encode_cursor(key: CursorKey) -> str:
    raw = key.model_dump_json().encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, model: type[K]) -> K:
    """Parse a cursor issued by :func:`encode_cursor`; anything else raises InvalidCursor."""
    if not cursor or len(cursor) > 2048:
        raise InvalidCursor("invalid cursor: pass back the next_cursor of the previous page")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return model.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError):
        raise InvalidCursor(
            f"invalid cursor {cursor[:40]!r}: pass back the next_cursor of the previous page"
        ) from None


def check_limit(limit: int) -> int:
    """A page size within 1..MAX_PAGE_SIZE, or ValueError."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    return limit

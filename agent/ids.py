"""Prefixed, time-sortable ids: ``dec_01JD...`` (a ULID after the prefix)."""

from __future__ import annotations

import os
import time
from typing import Literal

__all__ = ["IdPrefix", "new_id"]

IdPrefix = Literal["dec", "brf", "evt", "out", "rev", "era", "apr", "run"]
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: IdPrefix, *, ms: int | None = None) -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32."""
    millis = int(time.time() * 1000) if ms is None else ms
    return f"{prefix}_{_b32(millis, 10)}{_b32(int.from_bytes(os.urandom(10), 'big'), 16)}"

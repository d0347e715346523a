"""Stable keyed tokens for identities: the same e-mail gives the same token in every record,
and nobody without the key can tell which e-mail it was."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

__all__ = ["Tokenizer"]

_SPACES = re.compile(r"\s+")


class Tokenizer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, kind: str, value: str) -> str:
        """``tok_`` and 20 base32 characters of HMAC-SHA256(kind, normalized value)."""
        digest = hmac.new(self._key, f"{kind}:{_normalize(kind, value)}".encode(), hashlib.sha256)
        return "tok_" + base64.b32encode(digest.digest()).decode("ascii")[:20].lower()


def _normalize(kind: str, value: str) -> str:
    if kind == "phone":
        return "".join(ch for ch in value if ch.isdigit())
    return _SPACES.sub(" ", value.strip()).casefold()

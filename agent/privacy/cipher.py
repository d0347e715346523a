"""Per-customer record keys: every decision record of a customer is compressed and encrypted
(AES-256-GCM) with that customer's key, which is stored wrapped by the service's key. Erasure
destroys the customer's key, and with it every record it sealed, while the hash chain, which
hashes the ciphertext, still verifies."""

from __future__ import annotations

import base64
import os
import zlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["SEALED_PREFIX", "RecordCipher", "SealBroken"]

SEALED_PREFIX = "enc1:"
"""A stored record that starts with this is sealed; anything else is a plaintext record."""

_NONCE = 12


class SealBroken(ValueError):  # noqa: N818 - reads better at the raise
    """A sealed value did not open: altered, or sealed under another key or row."""


class RecordCipher:
    def __init__(self, wrap_key: bytes) -> None:
        self._wrap = AESGCM(wrap_key)

    def new_key(self, customer_id: str) -> tuple[bytes, bytes]:
        """A fresh customer key, and the same key wrapped for storage."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        return key, nonce + self._wrap.encrypt(nonce, key, customer_id.encode())

    def unwrap(self, customer_id: str, wrapped: bytes) -> bytes:
        try:
            return self._wrap.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], customer_id.encode())
        except InvalidTag:
            raise SealBroken(f"the record key of customer {customer_id!r} does not open") from None

    @staticmethod
    def seal(key: bytes, plaintext: bytes, bound_to: str) -> str:
        """The plaintext compressed and sealed with ``key``, bound to ``bound_to`` (the row's
        id). Compressed first: a record's JSON shrinks about fourfold, and every read, hash
        and byte of storage after it is smaller for it."""
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(key).encrypt(nonce, zlib.compress(plaintext, 1), bound_to.encode())
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    @staticmethod
    def open(key: bytes, sealed: str, bound_to: str) -> bytes:
        raw = base64.b64decode(sealed.removeprefix(SEALED_PREFIX))
        try:
            compressed = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], bound_to.encode())
        except InvalidTag:
            raise SealBroken(f"record {bound_to!r} does not open: altered or moved") from None
        return zlib.decompress(compressed)

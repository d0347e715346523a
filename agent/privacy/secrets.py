"""The service's master secret, and the keys derived from it.

One 32-byte secret (``NEXTBEST_SECRET_KEY``, base64) yields, through HKDF-SHA256, the key of
the identity tokens and the key that wraps each customer's record key. Without a configured
secret, one is generated once into the data directory (``secret.key``, mode 0600): fine for
one machine; in production set it, keep it, and never change it (tokens would change and
wrapped keys could no longer be opened).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SECRET_FILE", "Keys", "load_master_secret", "write_private"]

SECRET_FILE = "secret.key"  # noqa: S105 - a file name


@dataclass(frozen=True, slots=True)
class Keys:
    token: bytes
    """HMAC key of identity tokens."""
    wrap: bytes
    """AES-256 key that wraps each customer's record key."""

    @classmethod
    def derive(cls, master: bytes) -> Keys:
        def hkdf(info: bytes) -> bytes:
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

        return cls(token=hkdf(b"nextbest/tokens/v1"), wrap=hkdf(b"nextbest/record-keys/v1"))


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by this user only (0600), failing if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _decode(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("NEXTBEST_SECRET_KEY must be base64 of 32 random bytes") from None
    if len(raw) != 32:
        raise ValueError("NEXTBEST_SECRET_KEY must be base64 of 32 random bytes")
    return raw


def load_master_secret(data_dir: Path, configured: str | None) -> bytes:
    """The configured secret, or the data directory's own (generated on first use)."""
    if configured:
        return _decode(configured)
    path = data_dir / SECRET_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first
            write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
    return _decode(path.read_text())

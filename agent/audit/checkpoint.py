"""Signed checkpoints of the chain, in the C2SP ``tlog-checkpoint`` text format.

A checkpoint commits to the first ``size`` entries of the chain through their RFC 6962 Merkle
root, and is signed with Ed25519 as a C2SP ``signed-note``::

    <origin>
    <size>
    <base64 root hash>

    — <key name> <base64(key id || signature)>

so transparency-log tooling (e.g. golang.org/x/mod/sumdb/note) can read and verify it with the
verifier key ``<name>+<key id hex>+<base64(0x01 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from agent.privacy.secrets import write_private

__all__ = [
    "SIGNING_KEY_FILE",
    "Checkpoint",
    "NoteSigner",
    "load_signer",
    "note_body",
    "parse_note",
]

SIGNING_KEY_FILE = "audit-signing.key"
_ED25519 = b"\x01"
_DASH = "\u2014"


def note_body(origin: str, size: int, root: bytes) -> str:
    """The checkpoint text that is signed."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    note: str
    """The signed note: body, blank line, signature line."""


class NoteSigner:
    """Signs checkpoints with one Ed25519 key, named after the log's origin."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        if not name or any(ch.isspace() or ch == "+" for ch in name):
            raise ValueError(f"a note key name has no spaces or '+': {name!r}")
        self.name = name
        self._key = key
        self._public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        """The first 4 bytes of SHA-256(name, newline, key type and public key)."""
        return hashlib.sha256(self.name.encode() + b"\n" + _ED25519 + self._public).digest()[:4]

    @property
    def verifier_key(self) -> str:
        """The key others verify these notes with, in the note format."""
        encoded = base64.b64encode(_ED25519 + self._public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def sign(self, origin: str, size: int, root: bytes) -> Checkpoint:
        body = note_body(origin, size, root)
        signature = base64.b64encode(self.key_id + self._key.sign(body.encode())).decode()
        note = f"{body}\n{_DASH} {self.name} {signature}\n"
        return Checkpoint(origin=origin, size=size, root=root, note=note)

    def verify(self, note: str) -> bool:
        """The note carries a valid signature of this key."""
        body, _, signatures = note.partition("\n\n")
        public = Ed25519PublicKey.from_public_bytes(self._public)
        for line in signatures.splitlines():
            parts = line.split(" ")
            if len(parts) != 3 or parts[0] != _DASH or parts[1] != self.name:
                continue
            try:
                raw = base64.b64decode(parts[2], validate=True)
            except (binascii.Error, ValueError):
                continue
            if raw[:4] != self.key_id:
                continue
            with contextlib.suppress(InvalidSignature):
                public.verify(raw[4:], (body + "\n").encode())
                return True
        return False


def parse_note(note: str) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint note; ValueError if it is not one."""
    body = note.partition("\n\n")[0]
    lines = body.split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        raise ValueError("not a tlog checkpoint: origin, size, root hash lines expected")
    return lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)


def load_signer(data_dir: Path, origin: str, configured: str | None) -> NoteSigner:
    """The configured Ed25519 key (base64 of its 32-byte seed), or the data directory's own,
    generated on first use (mode 0600)."""
    if configured:
        seed = base64.b64decode(configured.strip(), validate=True)
    else:
        path = data_dir / SIGNING_KEY_FILE
        if not path.exists():
            with contextlib.suppress(FileExistsError):
                write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
        seed = base64.b64decode(path.read_text().strip(), validate=True)
    if len(seed) != 32:
        raise ValueError("the audit signing key must be base64 of a 32-byte Ed25519 seed")
    return NoteSigner(origin, Ed25519PrivateKey.from_private_bytes(seed))

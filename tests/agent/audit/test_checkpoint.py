"""Checkpoints as C2SP signed notes: the text format, the key id, and signatures that hold."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from agent.audit.checkpoint import SIGNING_KEY_FILE, NoteSigner, load_signer, parse_note

KEY = Ed25519PrivateKey.from_private_bytes(b"k" * 32)
ROOT = hashlib.sha256(b"root").digest()


def test_the_note_is_a_tlog_checkpoint_with_a_signed_note_signature() -> None:
    signer = NoteSigner("nextbest.example/audit", KEY)
    note = signer.sign("nextbest.example/audit", 42, ROOT).note
    body, blank, signature = note.partition("\n\n")
    assert blank
    assert body.split("\n") == [
        "nextbest.example/audit",
        "42",
        base64.b64encode(ROOT).decode(),
    ]
    dash, name, encoded = signature.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", "nextbest.example/audit")
    raw = base64.b64decode(encoded)
    public = KEY.public_key().public_bytes_raw()
    key_id = hashlib.sha256(b"nextbest.example/audit\n\x01" + public).digest()[:4]
    assert raw[:4] == key_id
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], (body + "\n").encode())
    assert parse_note(note) == ("nextbest.example/audit", 42, ROOT)
    encoded_key = base64.b64encode(b"\x01" + public).decode()
    assert signer.verifier_key == f"nextbest.example/audit+{key_id.hex()}+{encoded_key}"


def test_signatures_hold_only_for_the_note_and_the_key() -> None:
    signer = NoteSigner("log", KEY)
    note = signer.sign("log", 7, ROOT).note
    assert signer.verify(note)
    assert not signer.verify(note.replace("\n7\n", "\n8\n"))
    other_key = Ed25519PrivateKey.from_private_bytes(b"o" * 32)
    assert not NoteSigner("log", other_key).verify(note)
    signature = base64.b64decode(note.rstrip("\n").split(" ")[-1])[4:]
    with pytest.raises(InvalidSignature):
        other_key.public_key().verify(signature, note.partition("\n\n")[0].encode() + b"\n")


def test_names_and_keys_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no spaces"):
        NoteSigner("two words", KEY)
    first = load_signer(tmp_path, "log", None)
    assert (tmp_path / SIGNING_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert load_signer(tmp_path, "log", None).verifier_key == first.verifier_key
    configured = base64.b64encode(b"c" * 32).decode()
    assert load_signer(tmp_path, "log", configured).verifier_key != first.verifier_key
    with pytest.raises(ValueError, match="32-byte"):
        load_signer(tmp_path, "log", base64.b64encode(b"short").decode())

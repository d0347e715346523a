"""The master secret, the keys derived from it, and records sealed per customer."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from agent.privacy import SECRET_FILE, Keys, RecordCipher, SealBroken, load_master_secret


def test_a_generated_secret_is_private_and_kept(tmp_path: Path) -> None:
    first = load_master_secret(tmp_path, None)
    assert len(first) == 32
    mode = stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode)
    assert mode == 0o600
    assert load_master_secret(tmp_path, None) == first


def test_a_configured_secret_wins_and_is_checked(tmp_path: Path) -> None:
    configured = base64.b64encode(b"s" * 32).decode()
    assert load_master_secret(tmp_path, configured) == b"s" * 32
    assert not (tmp_path / SECRET_FILE).exists()
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError, match="32 random bytes"):
            load_master_secret(tmp_path, bad)


def test_derived_keys_differ_per_purpose_and_secret() -> None:
    keys = Keys.derive(b"a" * 32)
    assert keys.token != keys.wrap
    assert Keys.derive(b"b" * 32).token != keys.token
    assert Keys.derive(b"a" * 32) == keys


def test_records_are_sealed_per_customer_and_bound_to_their_row() -> None:
    cipher = RecordCipher(Keys.derive(b"a" * 32).wrap)
    key, wrapped = cipher.new_key("c13")
    assert cipher.unwrap("c13", wrapped) == key
    with pytest.raises(SealBroken):
        cipher.unwrap("c14", wrapped)  # a key moved to another customer does not open
    sealed = cipher.seal(key, b'{"name": "Arjun"}', "dec_1")
    assert sealed.startswith("enc1:")
    assert b"Arjun" not in base64.b64decode(sealed.removeprefix("enc1:"))
    assert cipher.open(key, sealed, "dec_1") == b'{"name": "Arjun"}'
    with pytest.raises(SealBroken, match="altered or moved"):
        cipher.open(key, sealed, "dec_2")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SealBroken):
        cipher.open(key, tampered, "dec_1")

"""The tamper-evident log through HTTP: verify, and the signed checkpoint witnesses fetch."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from agent.audit.checkpoint import load_signer
from agent.audit.merkle import root
from api.app import create_app
from api.settings import Settings


def _check_note(note: str, verifier_key: str) -> tuple[str, int, bytes]:
    """Read a checkpoint as any tlog tool would: the C2SP note, its signature by the
    verifier key (name+id+base64(0x01 || public key))."""
    body, blank, signatures = note.partition("\n\n")
    assert blank
    assert note.endswith("\n")
    origin, size, root_b64 = body.split("\n")
    name, _, encoded = verifier_key.split("+", 2)
    key = base64.b64decode(encoded)
    assert key[0] == 1  # Ed25519
    [line] = signatures.strip("\n").split("\n")
    dash, signer, signature = line.split(" ")
    assert (dash, signer) == ("\u2014", name)
    raw = base64.b64decode(signature)
    Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], (body + "\n").encode())
    return origin, int(size), base64.b64decode(root_b64)


def test_the_checkpoint_is_a_signed_note_over_the_chain(client: TestClient, data_dir: Path) -> None:
    client.post("/v1/decide", json={"customer_id": "c13_amehta"})
    response = client.get("/v1/audit/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    signer = load_signer(data_dir, "nextbest.local/audit", None)
    origin, size, digest = _check_note(response.text, signer.verifier_key)
    assert origin == "nextbest.local/audit"
    with sqlite3.connect(data_dir / "nextbest.db") as conn:
        leaves = [bytes.fromhex(h) for (h,) in conn.execute("SELECT hash FROM chain ORDER BY seq")]
    assert size >= 1
    assert digest == root(leaves[:size])


def test_verify_over_http_reports_a_whole_log(client: TestClient) -> None:
    client.post("/v1/decide", json={"customer_id": "c09_athompson"})
    report = client.get("/v1/audit/verify").json()
    assert report["ok"] is True, report["problems"]
    assert report["rows"] == report["entries"] >= 2
    assert report["first"] is None
    assert client.get("/v1/audit/verify", params={"since": "not a time"}).status_code == 422


def test_zz_a_deleted_decision_is_named_over_http(client: TestClient, data_dir: Path) -> None:
    """Last in the module: it breaks the log."""
    decided = client.post("/v1/decide", json={"customer_id": "c06_lmartin"}).json()
    with sqlite3.connect(data_dir / "nextbest.db", isolation_level=None) as conn:
        conn.executescript(
            "BEGIN; DROP TRIGGER decisions_no_delete;"
            f" DELETE FROM decisions WHERE decision_id = '{decided['decision_id']}'; COMMIT;"
        )
    report = client.get("/v1/audit/verify").json()
    assert report["ok"] is False
    assert (report["first"]["what"], report["first"]["ref"]) == ("deleted", decided["decision_id"])


def test_before_anything_is_logged_there_is_no_checkpoint(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as fresh:
        response = fresh.get("/v1/audit/checkpoint")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "checkpoint_not_found"
        assert fresh.get("/v1/audit/verify").json()["ok"] is True

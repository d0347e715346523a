"""Playbooks change safely while serving: POST /v1/playbooks validates and ingests into the
running server (all or nothing, a bad file named with its field), decisions made meanwhile
never fail, /readyz tells when retrieval is broken, and the CLI ingests through the server or
refuses to write the embedded store under it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from agent.demo import DEMO_DIR
from agent.record import DecideRequest
from agent.service import Decider
from api.cli import app
from api.serve_lock import hold_serve_lock, serving_pid

PLAYBOOK = """---
id: {pid}
version: {version}
title: A playbook ingested while serving
journey: tech_support
intents: [app_crash]
owner: qa@northwind.example
review_by: 2027-01-31
actions:
  - type: recommend_article
    args: {{article_id: kb-crash, channel: web}}
---
When the app crashes on start.
"""


def _file(pid: str, version: int = 1, **changes: str) -> dict[str, str]:
    text = PLAYBOOK.format(pid=pid, version=version)
    for old, new in changes.items():
        text = text.replace(old, new)
    return {"name": f"{pid}.md", "text": text}


def test_ingest_adds_then_finds_it_unchanged(client: TestClient) -> None:
    first = client.post("/v1/playbooks", json={"files": [_file("served-crash-help")]})
    assert first.status_code == 200, first.text
    assert first.json() == {"added": ["served-crash-help@1"], "updated": [], "unchanged": []}
    listed = {p["id"]: p["version"] for p in client.get("/v1/playbooks").json()}
    assert listed["served-crash-help"] == 1
    again = client.post("/v1/playbooks", json={"files": [_file("served-crash-help")]})
    assert again.json()["unchanged"] == ["served-crash-help@1"]
    newer = client.post("/v1/playbooks", json={"files": [_file("served-crash-help", 2)]})
    assert newer.json()["added"] == ["served-crash-help@2"]
    listed = {p["id"]: p["version"] for p in client.get("/v1/playbooks").json()}
    assert listed["served-crash-help"] == 2


@pytest.mark.parametrize(
    ("files", "field", "message"),
    [
        (
            [_file("served-ok"), _file("served-bad", **{"journey: tech_support": "journey: X"})],
            "body.files.1.text",
            "served-bad.md: journey",
        ),
        (
            [_file("served-twice"), {**_file("served-twice"), "name": "copy.md"}],
            "body.files.1.text",
            "copy.md: served-twice@1 is also defined in served-twice.md",
        ),
        (
            [_file("served-ok", **{"review_by: 2027-01-31": "review_by: someday"})],
            "body.files.0.text",
            "review_by",
        ),
        ([{"name": "notes.txt", "text": "hello"}], "body.files.0.name", "pattern"),
        ([], "body.files", "at least 1"),
    ],
)
def test_a_bad_upload_is_422_naming_the_file_and_nothing_is_written(
    client: TestClient, files: list[dict[str, str]], field: str, message: str
) -> None:
    before = client.get("/v1/playbooks").json()
    response = client.post("/v1/playbooks", json={"files": files})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert field in (error.get("field"), *(f["path"] for f in error.get("fields", [])))
    assert message in error["message"]
    assert client.get("/v1/playbooks").json() == before


def test_an_older_version_than_the_stored_one_is_refused(client: TestClient) -> None:
    client.post("/v1/playbooks", json={"files": [_file("served-old", 3)]})
    changed = _file("served-old", 2, **{"When the app": "If the app"})
    response = client.post("/v1/playbooks", json={"files": [changed]})
    assert response.status_code == 422
    assert "older than the stored version 3" in response.json()["error"]["message"]


def test_decisions_during_an_ingest_never_fail(decider: Decider) -> None:
    texts = [
        (path.name, path.read_text(encoding="utf-8").replace("version: ", "version: 9", 1))
        for path in sorted((DEMO_DIR / "playbooks").glob("*.md"))
    ]

    async def run() -> list[Any]:
        decisions = [
            decider.decide(DecideRequest.model_validate({"customer_id": c}))
            for c in ("c13_amehta", "c06_lmartin", "c10_obrennan", "c08_dokafor") * 5
        ]
        return await asyncio.gather(
            decider.ingest_playbook_files(texts), *decisions, return_exceptions=True
        )

    results = asyncio.run(run())
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    report = results[0]
    assert len(report.added) == len(texts)  # every playbook got its version 9x
    assert all(r.record.playbooks for r in results[1:])  # each retrieved a whole set


def test_readyz_fails_when_retrieval_is_broken(
    client: TestClient, decider: Decider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("Error finding id")

    monkeypatch.setattr(decider.deps.playbooks._collection, "query", broken)  # type: ignore[attr-defined]
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["playbooks"].startswith("error: ")


# -- the CLI -------------------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    written = _file("cli-crash-help")
    (folder / written["name"]).write_text(written["text"])
    return folder


def test_the_cli_refuses_to_write_under_a_running_server(runner: CliRunner, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    lock = hold_serve_lock(data_dir)
    try:
        assert serving_pid(data_dir) is not None
        refused = runner.invoke(app, ["playbooks", "ingest", str(_folder(tmp_path))])
        assert refused.exit_code == 2
        assert "ingest through it" in refused.output
        assert "--url" in refused.output
    finally:
        lock.close()
    assert serving_pid(data_dir) is None
    done = runner.invoke(app, ["playbooks", "ingest", str(tmp_path / "playbooks")])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["added"] == ["cli-crash-help@1"]


def test_the_cli_ingests_through_a_server(runner: CliRunner, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    report = {"added": ["cli-crash-help@1"], "updated": [], "unchanged": []}
    with respx.mock() as mock:
        route = mock.post("http://127.0.0.1:8080/v1/playbooks").mock(
            return_value=httpx.Response(200, json=report)
        )
        result = runner.invoke(
            app,
            ["playbooks", "ingest", str(folder), "--url", "http://127.0.0.1:8080/", "--key", "k1"],
        )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == report
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer k1"
    assert [f["name"] for f in json.loads(sent.content)["files"]] == ["cli-crash-help.md"]


def test_the_cli_shows_the_servers_refusal(runner: CliRunner, tmp_path: Path) -> None:
    error = {"code": "forbidden", "message": "role 'agent' (desk) may not POST /v1/playbooks"}
    with respx.mock() as mock:
        mock.post("http://127.0.0.1:8080/v1/playbooks").mock(
            return_value=httpx.Response(403, json={"error": error})
        )
        result = runner.invoke(
            app, ["playbooks", "ingest", str(_folder(tmp_path)), "--url", "http://127.0.0.1:8080"]
        )
    assert result.exit_code == 2
    assert "403: role 'agent' (desk) may not POST /v1/playbooks" in result.output

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

PLAYBOOK = """---
id: cli-test-playbook
version: 1
title: A playbook for the CLI test
journey: tech_support
intents: [app_crash]
owner: qa@northwind.example
actions:
  - type: recommend_article
    args: {article_id: kb-crash, channel: web}
---
Body.
"""


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_ingest_good_then_unchanged(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "pb.md"
    path.write_text(PLAYBOOK)
    first = runner.invoke(app, ["playbooks", "ingest", str(path)])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["added"] == ["cli-test-playbook@1"]
    again = runner.invoke(app, ["playbooks", "ingest", str(path)])
    assert json.loads(again.output)["unchanged"] == ["cli-test-playbook@1"]
    listed = runner.invoke(app, ["playbooks", "list"])
    assert "cli-test-playbook@1" in listed.output


def test_ingest_bad_playbook_exits_2_naming_file_and_field(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.md"
    path.write_text(PLAYBOOK.replace("type: recommend_article", "type: teleport"))
    result = runner.invoke(app, ["playbooks", "ingest", str(path)])
    assert result.exit_code == 2
    assert "bad.md" in result.output
    assert "actions.0.type" in result.output


def test_decide_unknown_customer_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["decide", "--customer-id", "nobody"])
    assert result.exit_code == 2
    assert "'nobody' not found" in result.output


def test_decide_from_request_file(runner: CliRunner, tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text(
        json.dumps(
            {
                "profile": {"customer_id": "cli-1", "timezone": "Europe/Paris"},
                "context": {
                    "direction": "inbound",
                    "channel": "chat",
                    "reason": "the app keeps crashing",
                },
            }
        )
    )
    result = runner.invoke(app, ["decide", "--request", str(request), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["decision_id"].startswith("dec_")
    assert record["customer_id"] == "cli-1"


def test_demo_shows_governed_and_varied_decisions(runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith("actions chosen:")
    kinds = {part.split(" x")[0] for part in summary.removeprefix("actions chosen: ").split(", ")}
    assert len(kinds) >= 6, summary
    for code in ("consent_missing", "quiet_hours_deferred", "suppressed_open_dispute"):
        assert code in result.output, code

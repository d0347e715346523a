from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.demo import seed
from agent.service import Decider
from api.cli import app
from api.settings import Settings

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


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the demo customers and playbooks, as ``serve --demo`` leaves it."""
    data_dir = tmp_path_factory.mktemp("seeded")
    decider = Decider.build(Settings(data_dir=data_dir).to_agent_config())
    try:
        asyncio.run(seed(decider, datetime.now(UTC)))
    finally:
        decider.close()
    return data_dir


def test_decide_json_for_a_seeded_customer(
    seeded_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(seeded_dir))
    args = ["decide", "--customer-id", "c13_amehta", "--reason", "I was charged twice"]
    result = CliRunner().invoke(app, [*args, "--channel", "chat", "--inbound", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["decision_id"].startswith("dec_")
    assert record["customer_id"] == "c13_amehta"
    assert record["profile_source"] == "store"
    assert record["context"]["channel"] == "chat"
    assert record["context"]["direction"] == "inbound"
    assert record["events"], "the seeded events were read"
    plain = CliRunner().invoke(app, ["decide", "--customer-id", "c13_amehta"])
    assert plain.exit_code == 0, plain.output
    assert plain.output.startswith("dec_")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="neither"),
        pytest.param(["--customer-id", "a", "--request", "r.json"], id="both"),
    ],
)
def test_decide_needs_exactly_one_source(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, ["decide", *args])
    assert result.exit_code == 2
    assert "exactly one of --customer-id or --request" in result.output


def test_decide_with_a_bad_request_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    request = tmp_path / "req.json"
    request.write_text(json.dumps({"profile": {"customer_id": "x", "timezone": "Mars/Base"}}))
    result = runner.invoke(app, ["decide", "--request", str(request)])
    assert result.exit_code == 2
    assert "timezone" in result.output


def test_unsafe_settings_exit_2_without_echoing_keys(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_API_KEYS", "s3cr3t-short")
    result = runner.invoke(app, ["playbooks", "list"])
    assert result.exit_code == 2
    assert "invalid settings" in result.output
    assert "s3cr3t" not in result.output
    monkeypatch.delenv("NEXTBEST_API_KEYS")
    monkeypatch.setenv("NEXTBEST_WORKERS", "2")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "Chroma server" in result.output


def test_demo_shows_governed_and_varied_decisions(runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo", "--fresh", "--lookalikes", "2"])
    assert result.exit_code == 0, result.output
    history = next(line for line in result.output.splitlines() if line.startswith("demo history"))
    assert "of 36 lookalike customers over 90 days" in history
    summary = next(line for line in result.output.splitlines() if line.startswith("actions"))
    assert summary.startswith("actions chosen:")
    kinds = {part.split(" x")[0] for part in summary.removeprefix("actions chosen: ").split(", ")}
    assert len(kinds) >= 6, summary
    for code in ("consent_missing", "quiet_hours_deferred", "suppressed_open_dispute"):
        assert code in result.output, code
    blocks = result.output.count("\n== ")
    assert blocks >= 10, blocks
    assert result.output.count("   ACTION: ") == blocks
    assert result.output.count("   briefing:") == blocks
    # the KPIs of the seeded history, by journey
    assert "Outcomes by journey" in result.output
    assert "Contacts and guards by journey" in result.output
    for journey in ("tech_support", "billing_dispute", "trial_conversion"):
        assert f" {journey} " in result.output, journey

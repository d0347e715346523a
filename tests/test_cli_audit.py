"""nextbest audit: verify, checkpoint, checkpoints, export and key, on a real data directory."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.demo import seed
from agent.outcomes import OutcomeIn
from agent.record import DecideRequest
from agent.service import Decider
from api.cli import app
from api.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(data))
    decider = Decider.build(Settings(data_dir=data).to_agent_config())

    async def fill() -> None:
        await seed(decider, datetime.now(UTC))
        for customer in ("c05_ralmeida", "c13_amehta", "c06_lmartin"):
            record = (await decider.decide(DecideRequest(customer_id=customer))).record
            await decider.record_outcome(record.decision_id, OutcomeIn(id="o", type="executed"))
        await decider.erase_customer("c06_lmartin")

    try:
        asyncio.run(fill())
    finally:
        decider.close()
    return data


def test_a_whole_log_verifies_and_is_signed_and_exported(data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("ok: 7 entries, 7 rows")  # 3 decisions, 3 outcomes, 1 erasure

    signed = runner.invoke(app, ["audit", "checkpoint"])
    assert signed.exit_code == 0, signed.output
    assert signed.output.splitlines()[:2] == ["nextbest.local/audit", "7"]
    assert signed.output.splitlines()[4].startswith("\u2014 nextbest.local/audit ")
    again = runner.invoke(app, ["audit", "checkpoint"])
    assert "has not grown" in again.output

    key = runner.invoke(app, ["audit", "key"]).output.strip()
    assert key.startswith("nextbest.local/audit+")
    written = runner.invoke(app, ["audit", "checkpoints", "--out", str(tmp_path / "cp")])
    assert "1 checkpoint(s) written" in written.output
    assert (tmp_path / "cp" / "000000000007.checkpoint").read_text() == signed.output

    exported = tmp_path / "log.jsonl"
    assert runner.invoke(app, ["audit", "export", "--out", str(exported)]).exit_code == 0
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, 8))
    assert {line["kind"] for line in lines} == {"decisions", "outcomes", "erasures"}
    assert all(line["row"] for line in lines)
    decisions = [line for line in lines if line["kind"] == "decisions"]
    assert all(line["row"]["record"].startswith("enc1:") for line in decisions)
    assert lines[1]["prev"] == lines[0]["hash"]


def test_verify_names_the_first_broken_row(data_dir: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["audit", "checkpoint"]).exit_code == 0
    conn = sqlite3.connect(data_dir / "nextbest.db", isolation_level=None)
    (victim,) = conn.execute("SELECT decision_id FROM decisions ORDER BY created_us").fetchone()
    conn.executescript(
        "BEGIN; DROP TRIGGER decisions_no_delete; DROP TRIGGER decision_verdicts_no_delete;"
        " DROP TRIGGER outcomes_no_delete;"
        f" DELETE FROM decision_verdicts WHERE decision_id = '{victim}';"
        f" DELETE FROM outcomes WHERE decision_id = '{victim}';"
        f" DELETE FROM decisions WHERE decision_id = '{victim}'; COMMIT;"
    )
    conn.close()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"BROKEN: deleted at entry 1, decisions {victim}" in broken.output
    # a checkpoint commits to the chain, which still names the deleted row: signing hides nothing
    assert "has not grown" in runner.invoke(app, ["audit", "checkpoint"]).output

"""``nextbest eval run`` through typer's CliRunner: outputs, the gate's exit codes, usage errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.evals.conftest import TINY


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    for name in ("NEXTBEST_LLM_BASE_URL", "NEXTBEST_LLM_MODEL", "NEXTBEST_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_run_writes_json_report_and_baseline_then_gates_a_regression(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = runner.invoke(
        app,
        [
            "eval",
            "run",
            "--suite",
            str(TINY),
            "--mode",
            "rules",
            "--json",
            str(out / "result.json"),
            "--report",
            str(out / "report.html"),
            "--save-baseline",
            str(out / "baseline.json"),
        ],
    )
    assert first.exit_code == 0, first.output
    assert "gate passed" in first.output
    assert "trial_conversion" in first.output
    result = json.loads((out / "result.json").read_text())
    assert result["schema_version"] == 1
    assert result["metrics"]["overall"]["violations"] == 0
    assert "<svg" in (out / "report.html").read_text()

    # the same suite with one expectation changed: that scenario flips from pass to fail
    changed = tmp_path / "changed"
    shutil.copytree(TINY, changed)
    trial = changed / "trial.yaml"
    trial.write_text(
        trial.read_text().replace(
            "- {type: send_message, args: {channel: {eq: email}, purpose: {in: [marketing, "
            "service]}}}",
            "- {type: no_action}",
        )
    )
    second = runner.invoke(
        app,
        ["eval", "run", "--suite", str(changed), "--baseline", str(out / "baseline.json")],
    )
    assert second.exit_code == 1, second.output
    assert "flipped from pass to fail: tiny-sms-consent-denied" in second.output
    assert "overall action accuracy dropped" in second.output
    assert "gate failed" in second.output


def test_llm_mode_without_an_llm_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["eval", "run", "--suite", str(TINY), "--mode", "llm"])
    assert result.exit_code == 2
    assert "--mode llm needs an LLM" in result.output


def test_a_bad_suite_exits_2_naming_the_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: x\n")
    result = runner.invoke(app, ["eval", "run", "--suite", str(tmp_path)])
    assert result.exit_code == 2
    assert "broken.yaml" in result.output
    assert "title: Field required" in result.output


def test_an_unreadable_baseline_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("{}")
    result = runner.invoke(
        app, ["eval", "run", "--suite", str(TINY), "--baseline", str(tmp_path / "b.json")]
    )
    assert result.exit_code == 2
    assert "cannot read baseline" in result.output


def test_missing_playbooks_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["eval", "run", "--suite", str(TINY), "--playbooks", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2
    assert "cannot set up the eval" in result.output

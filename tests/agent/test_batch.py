"""Batch decisions: each customer decided once per run through the real decide path, unknown
customers reported and skipped, a second try of the same run decides nothing again; the CLI
reads a file or a segment and prints the summary."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.batch import BatchItem, run_batch
from agent.batch.run import idempotency_key
from agent.demo import demo_now, seed
from agent.service import Decider
from agent.stores.decision_query import DecisionQuery
from api.cli import app
from api.settings import Settings

NOW = demo_now()
OUTBOUND = ["c01_hweber", "c04_mbell", "c05_ralmeida", "c07_pnair", "c09_athompson", "c12_mcollins"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def decider(data_dir: Path) -> Iterator[Decider]:
    built = Decider.build(Settings(data_dir=data_dir).to_agent_config(), clock=lambda: NOW)
    asyncio.run(seed(built, NOW))
    yield built
    built.close()


def _logged(decider: Decider) -> int:
    return len(asyncio.run(decider.list_decisions(DecisionQuery(), limit=200)).items)


def test_a_run_decides_each_customer_once_and_resumes(decider: Decider) -> None:
    seen: list[BatchItem] = []
    ids = [*OUTBOUND, "c99_nobody", OUTBOUND[0]]  # an unknown id, and one listed twice
    summary = asyncio.run(
        run_batch(decider, ids, run_id="run_t1", journey="renewal", on_item=seen.append)
    )
    assert (summary.customers, summary.decided, summary.replayed, summary.failed) == (7, 6, 0, 1)
    assert sum(summary.actions.values()) == 6
    assert list(summary.errors) == ["c99_nobody"]
    assert summary.errors["c99_nobody"].startswith("customer_not_found: customer 'c99_nobody'")
    assert len(seen) == 7
    assert _logged(decider) == 6
    record = asyncio.run(decider.get_decision(next(i.decision_id for i in seen if i.decision_id)))
    assert record.caller == "batch"
    assert record.context.direction == "outbound"
    assert record.context.journey == "renewal"

    again = asyncio.run(run_batch(decider, ids, run_id="run_t1", journey="renewal"))
    assert (again.decided, again.replayed, again.failed) == (0, 6, 1)
    assert again.actions == summary.actions
    assert _logged(decider) == 6  # nothing decided twice

    other = asyncio.run(run_batch(decider, OUTBOUND[:2], run_id="run_t2", journey="renewal"))
    assert other.decided == 2  # another run decides again
    assert idempotency_key("run_t1", "c01_hweber") == "batch:run_t1:c01_hweber"


def test_denials_are_counted_by_policy(decider: Decider) -> None:
    summary = asyncio.run(run_batch(decider, OUTBOUND, run_id="run_d"))
    assert summary.denials  # consent and suppression refuse some of the demo's proposals
    assert all(count <= summary.decided for count in summary.denials.values())


def test_the_cli_reads_a_file_or_a_segment(
    decider: Decider, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decider.close()  # the CLI opens the store itself
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(data_dir))
    listed = tmp_path / "campaign.csv"
    listed.write_text("# customer_id,name\n" + "\n".join(f"{c},x" for c in OUTBOUND[:3]) + "\n\n")
    runner = CliRunner()
    result = runner.invoke(
        app, ["batch", "decide", "--customers", str(listed), "--run-id", "run_cli", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["run_id"], summary["customers"], summary["decided"]) == ("run_cli", 3, 3)

    table = runner.invoke(
        app, ["batch", "decide", "--segment", "homeowner", "--journey", "renewal"]
    )
    assert table.exit_code == 0, table.output
    assert "Actions chosen" in table.output
    assert "decided" in table.output

    neither = runner.invoke(app, ["batch", "decide"])
    assert neither.exit_code == 2
    missing = runner.invoke(app, ["batch", "decide", "--customers", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2

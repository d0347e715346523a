"""The batch as a Ray Data job, on a local Ray instance: every customer decided through the real
decide path by worker processes, the same decisions and summary as the local batch on the same
input, the embedded playbook index left untouched, and the same run again (from the command
line) replaying without a new decision.

Each Ray job starts its workers afresh (imports, the embedding model): one test, two jobs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from typer.testing import CliRunner

from agent.batch import BatchItem, run_batch
from agent.batch.ray_job import RayJobError, RayOptions, run_batch_on_ray
from agent.config import AgentConfig
from agent.demo import demo_now, seed
from agent.service import Decider
from agent.stores.decision_query import DecisionQuery
from api.cli import app
from evals.bench_batch import store_customers

NOW = demo_now()
CUSTOMERS = 24


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024 * 1024)
    yield
    ray.shutdown()


def _stored(data_dir: Path) -> list[str]:
    """The demo's playbooks and customers, and CUSTOMERS generated ones: their ids."""
    decider = Decider.build(AgentConfig(data_dir=data_dir), clock=lambda: NOW)
    try:
        asyncio.run(seed(decider, NOW))
        return asyncio.run(store_customers(decider, CUSTOMERS))
    finally:
        decider.close()


def _tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode() + file.read_bytes())
    return digest.hexdigest()


def _decided(items: list[BatchItem]) -> dict[str, tuple[object, ...]]:
    """What a decision was, by customer; decision ids aside (new in each data dir)."""
    return {
        i.customer_id: (i.action, tuple(i.denied_by), i.safe_default, i.error is None)
        for i in items
    }


def test_a_ray_run_decides_like_the_local_batch_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _stored(tmp_path / "local")
    shutil.copytree(tmp_path / "local", tmp_path / "ray")  # the same input, closed stores
    campaign = [*ids, "c99_nobody", ids[0]]  # an unknown id, and one listed twice

    local_items: list[BatchItem] = []
    decider = Decider.build(AgentConfig(data_dir=tmp_path / "local"), clock=lambda: NOW)
    try:
        local = asyncio.run(
            run_batch(decider, campaign, run_id="run_r", on_item=local_items.append)
        )
    finally:
        decider.close()

    config = AgentConfig(data_dir=tmp_path / "ray")
    Decider.build(config).close()  # as the job's driver does (opening Chroma writes to it)
    playbooks_before = _tree_digest(config.chroma_path)
    items: list[BatchItem] = []
    options = RayOptions(workers=2, concurrency=4, batch_size=5)  # several batches a worker
    summary = run_batch_on_ray(
        config, campaign, run_id="run_r", options=options, now=NOW, on_item=items.append
    )
    assert (summary.customers, summary.decided, summary.replayed, summary.failed) == (
        CUSTOMERS + 1,
        CUSTOMERS,
        0,
        1,
    )
    assert summary.errors["c99_nobody"].startswith("customer_not_found: ")
    assert sorted(i.customer_id for i in items) == sorted(dict.fromkeys(campaign))
    assert _decided(items) == _decided(local_items)
    ignore = {"seconds", "decisions_per_s"}
    assert summary.model_dump(exclude=ignore) == local.model_dump(exclude=ignore)
    assert _tree_digest(config.chroma_path) == playbooks_before  # workers open copies

    # the same run again, from the command line: everything replays, nothing is decided twice
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(config.data_dir))
    listed = tmp_path / "campaign.txt"
    listed.write_text("\n".join(campaign) + "\n")
    command = ["batch", "decide", "--customers", str(listed), "--run-id", "run_r"]
    runner = CliRunner()
    result = runner.invoke(app, [*command, "--ray", "--ray-workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.stdout)  # Ray logs to stderr
    assert (again["decided"], again["replayed"], again["failed"]) == (0, CUSTOMERS, 1)
    assert again["actions"] == summary.actions

    decided = sorted(i.decision_id for i in items if i.decision_id)
    decider = Decider.build(config, clock=lambda: NOW)
    try:
        page = asyncio.run(decider.list_decisions(DecisionQuery(), limit=200))
        record = asyncio.run(decider.get_decision(decided[0]))
    finally:
        decider.close()
    assert sorted(r.decision_id for r in page.items) == decided
    assert record.caller == "batch"
    assert record.idempotency_key == f"batch:run_r:{record.customer_id}"
    assert record.context.direction == "outbound"

    without = runner.invoke(app, [*command, "--ray-workers", "2"])
    assert without.exit_code == 2
    assert "need --ray" in without.output


def test_files_on_this_host_refuse_a_ray_client(tmp_path: Path) -> None:
    config = AgentConfig(data_dir=tmp_path)
    options = RayOptions(address="ray://head:10001")
    with pytest.raises(RayJobError, match="node of the cluster"):
        run_batch_on_ray(config, ["c01_hweber"], run_id="run_c", options=options)
    assert not (tmp_path / "nextbest.db").exists()  # refused before anything was opened

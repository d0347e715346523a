"""A batch run as a Ray Data job: the same run, spread over worker processes (or machines).

```
customer ids ─▶ ray.data.from_items ─▶ map_batches(_DecideWorker, concurrency=workers)
                                          one actor = one Decider; each batch of customers
                                          goes through ``run_batch`` (same graph, guards,
                                          log, idempotency keys ``batch:<run>:<customer>``)
            ◀── BatchItems, streamed back as they finish ──▶ summarize → BatchSummary
```

Each actor decides through ``run_batch`` on its own ``Decider``, so a decision made here is the
one the local batch and ``POST /v1/decide`` make, and running the same run id again replays.

Where the stores are files (SQLite in the data directory, embedded Chroma), every actor runs on
the driver's node: they share the SQLite database (WAL, busy timeouts) and take turns per
customer through the lock files in ``<data_dir>/locks``, as the API's worker processes do.
Embedded Chroma is not safe for two processes, so it is never opened by them: the driver copies
the playbook index once (the whole job retrieves from one set of playbooks), each actor opens
a private copy of that snapshot, and the original is not touched. With a Chroma server
(``chroma_mode="http"``) the actors share the server. Only when the database is PostgreSQL and
Chroma a server may actors run on other nodes; they then get the data directory's keys from the
driver, so every node tokenizes and seals alike.

``ray`` is imported only when a job runs: the base install does not need it (``nextbest[ray]``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import SecretStr

from agent.audit.checkpoint import SIGNING_KEY_FILE
from agent.batch.run import BatchItem, BatchSummary, run_batch, summarize
from agent.config import AgentConfig
from agent.privacy import SECRET_FILE
from agent.service import Decider

__all__ = ["RayJobError", "RayOptions", "run_batch_on_ray"]


class RayJobError(RuntimeError):
    """The job cannot run as asked (Ray is not installed, or the stores cannot be reached
    from where its workers would run); nothing was decided."""


@dataclass(frozen=True, slots=True)
class RayOptions:
    address: str | None = None
    """A Ray cluster (``ray://host:10001``, ``auto``); None: ``RAY_ADDRESS``, else a new local
    instance. A cluster already joined by this process (``ray.init`` before) is used as is."""
    workers: int = 2
    """Actors, each holding one Decider (the embedding model, the stores)."""
    concurrency: int = 8
    """Decisions at once within one actor."""
    batch_size: int = 64
    """Customers handed to an actor at a time."""
    cpus_per_worker: float = 1.0


class _WorkerConfig(AgentConfig):
    """The driver's config, with the embedded playbook index at this actor's private copy."""

    playbooks_copy: Path

    @property
    def chroma_path(self) -> Path:
        return self.playbooks_copy


class _DecideWorker:
    """One Ray Data actor: opens its own Decider once, then decides batch after batch."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        run_id: str,
        journey: str | None,
        concurrency: int,
        now: datetime | None,
        snapshot: str | None,
    ) -> None:
        self._copy: Path | None = None
        if snapshot is not None and config.chroma_mode == "embedded":
            self._copy = Path(snapshot).with_name(f"worker-{uuid.uuid4().hex}")
            shutil.copytree(snapshot, self._copy)
            config = _WorkerConfig.model_validate({**dict(config), "playbooks_copy": self._copy})
        clock: Callable[[], datetime] | None = (lambda: now) if now is not None else None
        self._decider = Decider.build(config, clock=clock)
        self._run_id = run_id
        self._journey = journey
        self._concurrency = concurrency

    async def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items: list[BatchItem] = []
        await run_batch(
            self._decider,
            [str(c) for c in batch["customer_id"]],
            run_id=self._run_id,
            journey=self._journey,
            concurrency=self._concurrency,
            on_item=items.append,
        )
        return {"item": np.array([i.model_dump_json() for i in items], dtype=object)}

    def __del__(self) -> None:  # Ray Data drops the actor's UDF when the job ends
        decider = getattr(self, "_decider", None)
        if decider is not None:
            decider.close()
        if (copy := getattr(self, "_copy", None)) is not None:
            shutil.rmtree(copy, ignore_errors=True)


def _on_this_host(config: AgentConfig) -> bool:
    """True when a store lives in files of the data directory: the actors must run here."""
    return config.chroma_mode == "embedded" or config.database_url is None


def _prepare(config: AgentConfig, options: RayOptions, on_this_host: bool) -> AgentConfig:
    """Open the stores once before any actor does (the data directory, the schema and the
    keys are made here, not raced by N processes); the config each actor opens its own with:
    a PostgreSQL pool no larger than its decisions at once need, and, for actors on other
    nodes, this data directory's keys."""
    Decider.build(config).close()
    update: dict[str, Any] = {
        "database_pool_size": min(config.database_pool_size, options.concurrency + 1)
    }
    if not on_this_host:
        if config.secret_key is None:
            update["secret_key"] = SecretStr((config.data_dir / SECRET_FILE).read_text().strip())
        if config.audit_signing_key is None:
            key = (config.data_dir / SIGNING_KEY_FILE).read_text().strip()
            update["audit_signing_key"] = SecretStr(key)
    return config.model_copy(update=update)


def _is_client(address: str | None) -> bool:
    """True for Ray Client (``ray://``): this process is then not on a node of the cluster."""
    return (address or os.environ.get("RAY_ADDRESS", "")).startswith("ray://")


def _this_node(ray: Any) -> dict[str, str]:
    """A label selector for the driver's node (``ray.io/node-id`` is on every node)."""
    return {"ray.io/node-id": ray.get_runtime_context().get_node_id()}


def run_batch_on_ray(
    config: AgentConfig,
    customer_ids: Iterable[str],
    *,
    run_id: str,
    journey: str | None = None,
    options: RayOptions | None = None,
    now: datetime | None = None,
    on_item: Callable[[BatchItem], None] | None = None,
) -> BatchSummary:
    """Decide for each customer (outbound, the journey if given) on a Ray cluster, with the
    same keys, records and summary as ``run_batch``. ``now`` pins the decisions' clock (tests,
    benchmarks); None: the wall clock."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise RayJobError("Ray is not installed: pip install 'nextbest[ray]'") from None
    options = options or RayOptions()
    ids = list(dict.fromkeys(customer_ids))
    on_this_host = _on_this_host(config)
    if on_this_host and _is_client(options.address):
        raise RayJobError(
            "with SQLite or embedded Chroma the workers run beside the data directory: run "
            "the command on a node of the cluster (e.g. with `ray job submit`), not through "
            "ray://, or use PostgreSQL and a Chroma server"
        )
    config = _prepare(config, options, on_this_host)
    started_ray = not ray.is_initialized()
    if started_ray:
        ray.init(address=options.address, include_dashboard=False)
    scratch = Path(tempfile.mkdtemp(prefix=f"nextbest-{run_id}-"))
    try:
        snapshot: str | None = None
        if config.chroma_mode == "embedded":
            snapshot = str(scratch / "playbooks")
            shutil.copytree(config.chroma_path, snapshot)
        worker = {
            "config": config,
            "run_id": run_id,
            "journey": journey,
            "concurrency": options.concurrency,
            "now": now,
            "snapshot": snapshot,
        }
        started = time.perf_counter()
        where = _this_node(ray) if on_this_host else None
        items = _run(ray, ids, options, worker, where, on_item)
        return summarize(run_id, items, time.perf_counter() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if started_ray:
            ray.shutdown()


def _run(
    ray: Any,
    ids: list[str],
    options: RayOptions,
    worker: dict[str, Any],
    label_selector: dict[str, str] | None,
    on_item: Callable[[BatchItem], None] | None,
) -> list[BatchItem]:
    """Run the job; each item as it comes back (in no particular order)."""
    if not ids:
        return []
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the caller shows progress through on_item
    context.print_on_execution_start = False
    dataset = ray.data.from_items([{"customer_id": c} for c in ids]).map_batches(
        _DecideWorker,
        batch_size=options.batch_size,
        compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=options.cpus_per_worker,
        fn_constructor_kwargs=worker,
        label_selector=label_selector,
    )
    items: list[BatchItem] = []
    for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
        for text in batch["item"]:
            item = BatchItem.model_validate_json(str(text))
            items.append(item)
            if on_item is not None:
                on_item(item)
    return items

"""Chroma server mode, against a real ``chroma run`` that the test starts: two services share
one playbook store (what several API workers do), and ``serve`` with two worker processes
decides through it."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from agent.demo import demo_now, seed
from agent.record import DecideRequest
from agent.service import Decider
from api.settings import Settings

NOW = demo_now()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], tries: int = 600) -> None:
    for _ in range(tries):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Chroma server on a free loopback port (the ``chroma`` CLI that chromadb installs)."""
    binary = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert binary is not None, "the chromadb package installs the chroma CLI"
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma")
    server = subprocess.Popen(
        [binary, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/api/v2/heartbeat", server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _settings(data_dir: Path, port: int) -> Settings:
    return Settings(
        data_dir=data_dir, chroma_mode="http", chroma_host="127.0.0.1", chroma_port=port
    )


def test_two_services_share_the_playbook_store(chroma: int, tmp_path: Path) -> None:
    first = Decider.build(_settings(tmp_path / "a", chroma).to_agent_config(), clock=lambda: NOW)
    second = Decider.build(_settings(tmp_path / "b", chroma).to_agent_config(), clock=lambda: NOW)
    try:
        asyncio.run(seed(first, NOW))
        asyncio.run(seed(second, NOW))  # the second finds the playbooks unchanged
        record = asyncio.run(first.decide(DecideRequest(customer_id="c13_amehta"))).record
        assert record.playbooks  # retrieved from the server
        text = Path(__file__).parents[2] / "data/demo/playbooks/billing-dispute-acknowledge.md"
        newer = text.read_text().replace("version: ", "version: 7", 1)
        report = asyncio.run(second.ingest_playbook_files([("billing.md", newer)]))
        assert len(report.added) == 1
        seen = {p.key for p in asyncio.run(first.list_playbooks())}
        assert report.added[0] in seen  # what one ingests, the other retrieves
        assert asyncio.run(first.check_ready())["playbooks"] == "ok"
    finally:
        first.close()
        second.close()


@contextmanager
def _serving(
    chroma: int, data_dir: Path, workers: int, database_url: str | None = None
) -> Iterator[str]:
    """``nextbest serve --demo`` with ``workers`` processes on the Chroma server (and the
    stores in PostgreSQL when a URL is given); its base URL."""
    port = _free_port()
    env = os.environ | {
        "NEXTBEST_DATA_DIR": str(data_dir),
        "NEXTBEST_PORT": str(port),
        "NEXTBEST_WORKERS": str(workers),
        "NEXTBEST_CHROMA_MODE": "http",
        "NEXTBEST_CHROMA_HOST": "127.0.0.1",
        "NEXTBEST_CHROMA_PORT": str(chroma),
        "NEXTBEST_RATE_LIMIT_PER_S": "0",
    }
    if database_url is not None:
        env["NEXTBEST_DATABASE_URL"] = database_url
    nextbest = str(Path(sys.executable).with_name("nextbest"))
    server = subprocess.Popen(
        [nextbest, "serve", "--demo", "--lookalikes", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/readyz", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_serve_with_two_workers_decides_through_the_chroma_server(
    chroma: int, tmp_path: Path
) -> None:
    with _serving(chroma, tmp_path / "data", workers=2) as base:
        customers = ["c13_amehta", "c06_lmartin", "c08_dokafor", "c10_obrennan"] * 3
        statuses = [
            httpx.post(f"{base}/v1/decide", json={"customer_id": c}, timeout=60).status_code
            for c in customers
        ]
        assert statuses == [200] * len(customers)
        listed = httpx.get(f"{base}/v1/decisions", params={"limit": 50}, timeout=60).json()
        assert len(listed["items"]) == len(customers)  # both workers log to the one database


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """The stores in SQLite files (a flock per customer) or in PostgreSQL (an advisory lock)."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


def test_four_workers_never_overspend_one_customers_budget(
    chroma: int, tmp_path: Path, database_url: str | None
) -> None:
    """200 decisions at once for one customer whose best action is an offer, spread over four
    worker processes: the incentive budget (2 per 90 days, reservations included) holds."""

    async def burst(base: str) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
            body = {"customer_id": "c11_srossi", "context": {"journey": "cancellation"}}
            return await asyncio.gather(*(client.post("/v1/decide", json=body) for _ in range(200)))

    with _serving(chroma, tmp_path / "data", workers=4, database_url=database_url) as base:
        responses = asyncio.run(burst(base))
    assert [r.status_code for r in responses] == [200] * 200
    offers = [r for r in responses if r.json()["action"]["type"] == "offer_incentive"]
    assert 1 <= len(offers) <= 2

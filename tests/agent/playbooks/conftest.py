"""Store fixtures: an embedded Chroma per test, and one real Chroma server per session."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from agent.embeddings import Embedder
from agent.playbooks import PlaybookStore


class OpenStore(Protocol):
    def __call__(
        self, embedder: Embedder, *, monotonic: Callable[[], float] = time.monotonic
    ) -> PlaybookStore: ...


_names = itertools.count()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """``chroma run`` from this virtualenv on a free port, stopped after the session."""
    binary = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert binary is not None, "the chroma CLI ships with chromadb; is the venv complete?"
    host, port = "127.0.0.1", _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("wb")
    process = subprocess.Popen(
        [binary, "run", "--path", str(path / "data"), "--host", host, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (path / "server.log").read_text(errors="replace")
            try:
                httpx.get(f"http://{host}:{port}/api/v2/heartbeat", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "chroma server did not start in 30 s"
                time.sleep(0.2)
        yield host, port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(params=["embedded", "http"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStore:
    """Opens the same store (one path or one server collection) each time it is called."""
    if request.param == "embedded":

        def embedded(
            embedder: Embedder, *, monotonic: Callable[[], float] = time.monotonic
        ) -> PlaybookStore:
            return PlaybookStore.embedded(tmp_path / "chroma", embedder, monotonic=monotonic)

        return embedded
    host, port = request.getfixturevalue("chroma_server")
    collection = f"playbooks-{next(_names)}"

    def served(
        embedder: Embedder, *, monotonic: Callable[[], float] = time.monotonic
    ) -> PlaybookStore:
        return PlaybookStore.http(host, port, embedder, collection=collection, monotonic=monotonic)

    return served

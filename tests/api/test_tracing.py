"""Traces end to end: the real server, started with NEXTBEST_OTEL_ENDPOINT, sends a span per
decision and per graph step, with the decision id, to an OTLP/HTTP collector (here a small
receiver on loopback that decodes what it gets)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class _Collector(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receive)
        self.exports: list[ExportTraceServiceRequest] = []


class _Receive(BaseHTTPRequestHandler):
    server: _Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            export = ExportTraceServiceRequest()
            export.ParseFromString(body)
            self.server.exports.append(export)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[_Collector]:
    server = _Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_decision_is_traced_step_by_step(collector: _Collector, tmp_path: Path) -> None:
    port = _free_port()
    env = os.environ | {
        "NEXTBEST_DATA_DIR": str(tmp_path / "data"),
        "NEXTBEST_PORT": str(port),
        "NEXTBEST_OTEL_ENDPOINT": f"http://127.0.0.1:{collector.server_address[1]}",
    }
    nextbest = str(Path(sys.executable).with_name("nextbest"))
    server = subprocess.Popen([nextbest, "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # the embedding model loads first
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        body = {
            "profile": {"customer_id": "ext-42", "tier": "silver", "timezone": "Europe/Paris"},
            "context": {"direction": "inbound", "channel": "chat", "reason": "locked out"},
        }
        decided = httpx.post(f"{base}/v1/decide", json=body, timeout=60)
        assert decided.status_code == 200, decided.text
        decision_id = decided.json()["decision_id"]
    finally:
        server.send_signal(signal.SIGTERM)  # a clean stop flushes the batched spans
        server.wait(timeout=60)

    spans = [
        span
        for export in collector.exports
        for resource in export.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    mine = [
        span
        for span in spans
        if any(
            a.key == "nextbest.decision_id" and a.value.string_value == decision_id
            for a in span.attributes
        )
    ]
    names = {span.name for span in mine}
    assert {
        "nextbest.decide",
        "nextbest.load_context",
        "nextbest.retrieve",
        "nextbest.guard",
    } <= names
    [root] = [span for span in mine if span.name == "nextbest.decide"]
    steps = [span for span in mine if span.name != "nextbest.decide"]
    assert all(step.parent_span_id == root.span_id for step in steps)
    assert all(step.trace_id == root.trace_id for step in steps)
    services = {
        a.value.string_value
        for export in collector.exports
        for resource in export.resource_spans
        for a in resource.resource.attributes
        if a.key == "service.name"
    }
    assert services == {"nextbest"}

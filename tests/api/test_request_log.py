"""JSON logs: with NEXTBEST_LOG_FORMAT=json every request is one JSON line naming its route,
status, latency, caller and decision, and never its body."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.service import Decider
from api.app import create_app
from api.request_log import JsonFormatter
from api.settings import Settings


class _Lines(logging.Handler):
    """Keeps what the JSON formatter writes, one parsed object per line."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def logged(decider: Decider) -> Iterator[tuple[TestClient, _Lines]]:
    keys = [{"name": "crm", "role": "decider", "key": "crm-0123456789abcdef"}]
    settings = Settings(data_dir=decider.deps.config.data_dir, log_format="json", api_keys=keys)
    lines = _Lines()
    with TestClient(create_app(settings, decider=decider)) as client:
        requests = logging.getLogger("nextbest.requests")
        requests.addHandler(lines)
        try:
            yield client, lines
        finally:
            requests.removeHandler(lines)


def test_each_request_is_one_json_line_with_caller_and_decision(
    logged: tuple[TestClient, _Lines],
) -> None:
    client, lines = logged
    headers = {"Authorization": "Bearer crm-0123456789abcdef"}
    reason = "my card 4111 1111 1111 1111 was charged twice"
    body = {"customer_id": "c13_amehta", "context": {"direction": "inbound", "reason": reason}}
    decided = client.post("/v1/decide", json=body, headers=headers)
    assert decided.status_code == 200, decided.text
    refused = client.get("/v1/decisions", headers=headers)  # a decider may not read the log
    assert refused.status_code == 403

    first, second = lines.lines[-2:]
    assert first["message"] == "request"
    assert (first["method"], first["path"], first["status"]) == ("POST", "/v1/decide", 200)
    assert (first["caller"], first["decision_id"]) == ("crm", decided.json()["decision_id"])
    assert first["latency_ms"] > 0
    assert first["level"] == "info"
    assert first["ts"].endswith("+00:00")
    assert (second["path"], second["status"], second["caller"]) == ("/v1/decisions", 403, "crm")
    assert "4111" not in json.dumps(lines.lines)  # bodies are never logged


def test_the_route_is_logged_not_the_id_in_the_path(logged: tuple[TestClient, _Lines]) -> None:
    client, lines = logged
    client.get("/v1/decisions/dec_01NOPE", headers={"Authorization": "Bearer nope"})
    line = lines.lines[-1]
    assert (line["path"], line["status"]) == ("/v1/decisions/{decision_id}", 401)
    assert line["decision_id"] == "dec_01NOPE"
    assert line["caller"] is None  # no key, no caller


def test_the_formatter_keeps_extras_and_exceptions() -> None:
    record = logging.LogRecord("nextbest.x", logging.ERROR, __file__, 1, "failed %s", ("x",), None)
    record.decision_id = "dec_1"
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["level"], line["decision_id"]) == ("failed x", "error", "dec_1")
    assert "ValueError: boom" in line["exception"]

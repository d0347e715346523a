"""Structured logs: with ``NEXTBEST_LOG_FORMAT=json`` every log line is one JSON object, and
every request adds one line with its method, route, status, latency, caller and decision id.

The caller is the API key's name (``authorize`` puts it on the request's state); the decision
id is the one the route answered with (decide and briefings put it there) or the one in the
path. Bodies are never logged: they hold personal data.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["JsonFormatter", "RequestLog", "configure_logging"]

log = logging.getLogger("nextbest.requests")

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
"""Attributes every LogRecord has (and uvicorn's terminal colours); the rest came in ``extra``."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the ``extra`` fields, and
    the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The service's own handler on the root logger (replaced, never doubled)."""


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Text or JSON lines on stderr for every logger the service writes to; other handlers
    on the root logger (a test runner's, say) are left alone."""
    handler = _Handler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


class RequestLog:
    """ASGI middleware: one log line per HTTP request, after its response is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            state = scope.get("state", {})
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": getattr(route, "path", scope["path"]),
                    "status": status,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    "caller": state.get("caller"),
                    "decision_id": state.get("decision_id")
                    or scope.get("path_params", {}).get("decision_id"),
                },
            )

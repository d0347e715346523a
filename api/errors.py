"""One error shape for every failure: ``{"error": {"code", "message", ...}}``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from agent.errors import ErrorCode, NextbestError

__all__ = ["install_error_handlers"]

log = logging.getLogger("nextbest.api")


def _path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message, **extra}}
    )


async def _nextbest_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NextbestError)
    return _error(exc.status, exc.code, exc.message, field=exc.field)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for err in exc.errors():
        loc = [
            p
            for p in err.get("loc", ())
            if not (isinstance(p, str) and "[" in p and p.endswith("]"))
        ]
        fields.append({"path": _path(loc), "message": err.get("msg", "invalid")})
    summary = "; ".join(f"{f['path']}: {f['message']}" for f in fields[:5])
    return _error(422, ErrorCode.INVALID_INPUT, f"invalid request: {summary}", fields=fields)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = uuid.uuid4().hex
    log.exception("unhandled error %s on %s %s", request_id, request.method, request.url.path)
    return _error(
        500, "internal_error", f"internal error (request id {request_id})", request_id=request_id
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NextbestError, _nextbest_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)

"""One error shape for every failure: ``{"error": {"code", "message", ...}}``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from agent.errors import ErrorCode, NextbestError

__all__ = ["install_error_handlers"]

log = logging.getLogger("nextbest.api")


def _path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _error(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message, **extra}},
        headers=headers,
    )


async def _nextbest_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NextbestError)
    if exc.code is ErrorCode.INVALID_INPUT:  # the same shape as request validation errors
        pairs = exc.fields or [(exc.field or "body", exc.message)]
        fields = [{"path": path, "message": message} for path, message in pairs]
        return _error(exc.status, exc.code, exc.message, field=exc.field, fields=fields)
    headers: dict[str, str] = {}
    if exc.code is ErrorCode.UNAUTHORIZED:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return _error(exc.status, exc.code, exc.message, headers or None, field=exc.field)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method) in the same shape."""
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = f"{request.method} {request.url.path}: {exc.detail}"
    return _error(exc.status_code, code, message, exc.headers, field=None)


_UNION_TAGS = {"constrained-str", "str", "int", "float", "bool", "none", "decimal"}
"""Where a value of a union (text, number or flag) fails every member, pydantic names each
member in the location; the caller wants the field."""


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    kept = [
        part
        for part in loc
        if not (isinstance(part, str) and (part in _UNION_TAGS or part.endswith("]")))
    ]
    return _path(kept)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: list[dict[str, str]] = []
    for err in exc.errors():
        path = _field_path(err.get("loc", ()))
        if any(f["path"] == path for f in fields):
            continue  # the other members of a union: the first message says it
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        fields.append({"path": path, "message": message})
    summary = "; ".join(f"{f['path']}: {f['message']}" for f in fields[:5])
    return _error(422, ErrorCode.INVALID_INPUT, f"invalid request: {summary}", fields=fields)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = uuid.uuid4().hex
    log.exception("unhandled error %s on %s %s", request_id, request.method, request.url.path)
    return _error(
        500,
        "internal_error",
        f"internal error (request id {request_id})",
        {"X-Request-ID": request_id},
        request_id=request_id,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NextbestError, _nextbest_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

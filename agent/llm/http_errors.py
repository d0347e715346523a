"""What the openai SDK or the network raised, as an ``LLMError``: the code, the HTTP status,
the wait the server asked for, and what its error body said (OpenAI's, llama.cpp's and vLLM's
shapes). Nothing that could hold the request, its headers or the key is kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import openai

from agent.llm.errors import LLMError, LLMErrorCode

__all__ = ["as_llm_error"]

_RETRYABLE_STATUS = frozenset({408, 409})
_REFUSED_REQUEST = re.compile(r"validation error|not supported|unsupported", re.IGNORECASE)
"""A 5xx that blames the request (llama-cpp-python answers a response_format it does not know
with a 500 and "1 validation error"): the same request fails the same way, so no retry."""


def _retry_after_s(headers: httpx.Headers, cap_s: float) -> float | None:
    """The wait a server asked for (``retry-after-ms``, or ``Retry-After`` seconds or date)."""
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return min(max(float(millis) / 1000, 0.0), cap_s)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), cap_s)


def _status_error(exc: openai.APIStatusError, cap_s: float) -> LLMError:
    status = exc.status_code
    if status == 429:
        code = LLMErrorCode.RATE_LIMITED
    elif status == 408:
        code = LLMErrorCode.TIMEOUT
    elif status >= 500 or status in _RETRYABLE_STATUS:
        code = LLMErrorCode.SERVER_ERROR
    else:
        code = LLMErrorCode.CLIENT_ERROR
    headers = httpx.Headers(dict(exc.response.headers))
    error_type, server_message = _server_said(exc.body)
    if status >= 500 and _REFUSED_REQUEST.search(server_message or ""):
        code = LLMErrorCode.CLIENT_ERROR
    said = f": {server_message}" if server_message else ""
    return LLMError(
        code,
        f"HTTP {status} from the LLM endpoint{said}"[:300],
        status=status,
        retry_after_s=_retry_after_s(headers, cap_s),
        error_type=error_type,
        server_message=server_message,
    )


def _server_said(body: object) -> tuple[str | None, str | None]:
    """The error type and message of an error body: OpenAI's ``{"error": {"type", "code",
    "message"}}`` (the SDK hands over the inner object), llama.cpp's and vLLM's alike, or a
    bare ``{"detail": ...}``/text. The type is ``type``, else ``code`` when that is a word."""
    if isinstance(body, str):
        return None, body.strip() or None
    if not isinstance(body, dict):
        return None, None
    inner = body.get("error", body)
    if isinstance(inner, str):
        return None, inner.strip() or None
    if not isinstance(inner, dict):
        return None, None
    kind = inner.get("type")
    if not isinstance(kind, str) and isinstance(inner.get("code"), str):
        kind = inner["code"]
    message = inner.get("message", inner.get("detail"))
    return (
        kind if isinstance(kind, str) and kind else None,
        " ".join(message.split()) if isinstance(message, str) and message.strip() else None,
    )


def as_llm_error(exc: BaseException, cap_s: float) -> LLMError:
    """Map what the SDK or the network raised to our codes; keep nothing that could hold a key."""
    if isinstance(exc, openai.APITimeoutError | TimeoutError | httpx.TimeoutException):
        return LLMError(LLMErrorCode.TIMEOUT, "the LLM endpoint did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(LLMErrorCode.CONNECTION, "could not reach the LLM endpoint")
    if isinstance(exc, httpx.HTTPError):  # raised unwrapped while a stream is read
        return LLMError(LLMErrorCode.CONNECTION, f"the stream broke off ({type(exc).__name__})")
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, cap_s)
    return LLMError(LLMErrorCode.BAD_RESPONSE, f"unreadable answer ({type(exc).__name__})")

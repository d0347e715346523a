"""What can go wrong when calling the model: one exception with a stable code."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RETRYABLE", "SERVER_MESSAGE_CHARS", "LLMError", "LLMErrorCode"]

SERVER_MESSAGE_CHARS = 200
"""How much of a server's error message a record keeps."""


class LLMErrorCode(StrEnum):
    """Why an LLM call failed. Values are stable: they land in decision records."""

    TIMEOUT = "timeout"
    DEADLINE = "deadline"
    CIRCUIT_OPEN = "circuit_open"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    CONNECTION = "connection"
    BAD_RESPONSE = "bad_response"
    EMPTY_CHOICES = "empty_choices"
    CLIENT_ERROR = "client_error"


RETRYABLE = frozenset(
    {
        LLMErrorCode.TIMEOUT,
        LLMErrorCode.RATE_LIMITED,
        LLMErrorCode.SERVER_ERROR,
        LLMErrorCode.CONNECTION,
    }
)
"""Codes worth another attempt: the endpoint may answer next time."""


class LLMError(Exception):
    """An LLM call that produced no usable answer.

    ``code`` says why (see ``LLMErrorCode``); ``status`` is the HTTP status when there was one,
    ``error_type`` and ``server_message`` what the server's error body said (its ``type``, or
    its ``code`` when that is a word; its message, cut to ``SERVER_MESSAGE_CHARS``);
    ``retry_after_s`` is the wait the server asked for, already capped. ``LLMClient.chat`` fills
    in ``attempts`` (attempts started, 0 when none could start) and ``latency_ms`` (the whole
    call) before raising. The message never holds request headers, so it is safe to log.
    """

    def __init__(
        self,
        code: LLMErrorCode,
        message: str | None = None,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        error_type: str | None = None,
        server_message: str | None = None,
    ) -> None:
        self.code = code
        self.message = message or code.value.replace("_", " ")
        self.status = status
        self.retry_after_s = retry_after_s
        self.error_type = error_type
        self.server_message = server_message[:SERVER_MESSAGE_CHARS] if server_message else None
        self.attempts = 0
        self.latency_ms = 0.0
        self.request_chars = 0
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"

"""One small error hierarchy; the API maps it to HTTP with one handler."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ErrorCode", "NextbestError"]


class ErrorCode(StrEnum):
    CUSTOMER_NOT_FOUND = "customer_not_found"
    DECISION_NOT_FOUND = "decision_not_found"
    DECISION_ERASED = "decision_erased"
    PLAYBOOK_NOT_FOUND = "playbook_not_found"
    CHECKPOINT_NOT_FOUND = "checkpoint_not_found"
    APPROVAL_NOT_FOUND = "approval_not_found"
    APPROVAL_CLOSED = "approval_closed"
    APPROVAL_ERASED = "approval_erased"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_INPUT = "invalid_input"
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    OUTCOME_CONFLICT = "outcome_conflict"
    PROFILE_CONFLICT = "profile_conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.CUSTOMER_NOT_FOUND: 404,
    ErrorCode.DECISION_NOT_FOUND: 404,
    ErrorCode.DECISION_ERASED: 410,
    ErrorCode.PLAYBOOK_NOT_FOUND: 404,
    ErrorCode.CHECKPOINT_NOT_FOUND: 404,
    ErrorCode.APPROVAL_NOT_FOUND: 404,
    ErrorCode.APPROVAL_CLOSED: 409,
    ErrorCode.APPROVAL_ERASED: 410,
    ErrorCode.INVALID_CURSOR: 400,
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.IDEMPOTENCY_MISMATCH: 409,
    ErrorCode.OUTCOME_CONFLICT: 409,
    ErrorCode.PROFILE_CONFLICT: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.RATE_LIMITED: 429,
}


class NextbestError(Exception):
    """An error a caller can act on: a message for humans, a stable code, an HTTP status."""

    def __init__(
        self,
        message: str,
        code: ErrorCode,
        *,
        field: str | None = None,
        fields: list[tuple[str, str]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.fields = fields
        """For invalid input with several problems: (field path, message) each."""
        self.retry_after = retry_after
        """For rate limits: whole seconds until a retry may succeed."""

    @property
    def status(self) -> int:
        return _STATUS[self.code]

"""What the OpenAPI spec says about errors: the one real error shape, per status code."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "CUSTOMER_ID_PATTERN",
    "DECISION_ID_PATTERN",
    "ErrorBody",
    "ErrorResponse",
    "FieldError",
    "errors",
]

CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"
DECISION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"


class FieldError(BaseModel):
    path: str = Field(description="Where: body.context.channel, query.since, body.outcomes.3.id.")
    message: str = Field(description="What is wrong with it.")


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. invalid_input.")
    message: str = Field(description="What went wrong, for humans.")
    field: str | None = Field(default=None, description="The field at fault, when there is one.")
    fields: list[FieldError] | None = Field(
        default=None, description="For invalid_input: every field at fault."
    )
    request_id: str | None = Field(
        default=None, description="For internal errors: the id to find it in the server log."
    )


class ErrorResponse(BaseModel):
    """Every error nextbest returns has this shape."""

    error: ErrorBody = Field(description="What went wrong.")


_EXAMPLES: dict[int, tuple[str, dict[str, Any]]] = {
    400: (
        "Bad cursor",
        {"code": "invalid_cursor", "message": "invalid cursor 'abc'", "field": "cursor"},
    ),
    401: (
        "Missing or invalid API key",
        {
            "code": "unauthorized",
            "message": "missing Authorization: Bearer <key>",
            "field": "Authorization",
        },
    ),
    404: (
        "Not found",
        {
            "code": "decision_not_found",
            "message": "decision 'dec_x' not found",
            "field": "decision_id",
        },
    ),
    409: (
        "Conflict with what was stored before",
        {
            "code": "outcome_conflict",
            "message": "the decision was reported declined, so it cannot be converted "
            "(outcome 'o-1')",
            "field": "type",
        },
    ),
    413: (
        "Body too large",
        {
            "code": "payload_too_large",
            "message": "request body over the 262144-byte limit",
            "field": "body",
        },
    ),
    422: (
        "Invalid input",
        {
            "code": "invalid_input",
            "message": "invalid request: body.context.channel: Input should be 'email', ...",
            "fields": [{"path": "body.context.channel", "message": "Input should be 'email'"}],
        },
    ),
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, in the real error shape."""
    return {
        status: {
            "model": ErrorResponse,
            "description": _EXAMPLES[status][0],
            "content": {"application/json": {"example": {"error": _EXAMPLES[status][1]}}},
        }
        for status in statuses
    }

"""What the OpenAPI spec says about errors: the one real error shape, per status code."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "CUSTOMER_ID_PATTERN",
    "DECISION_ID_PATTERN",
    "ErrorBody",
    "ErrorResponse",
    "FieldError",
    "errors",
    "example",
    "example_text",
    "ok",
]

_EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


@cache
def example(name: str) -> Any:
    """A response example from ``api/examples/<name>.json`` (real demo data, shortened)."""
    return json.loads((_EXAMPLES_DIR / f"{name}.json").read_text())


@cache
def example_text(name: str) -> str:
    """A plain-text response example from ``api/examples/<name>``."""
    return (_EXAMPLES_DIR / name).read_text()


def ok(name: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entry showing the example ``name`` for a success status."""
    return {status: {"content": {"application/json": {"example": example(name)}}}}


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
    403: (
        "The key's role may not call this route",
        {
            "code": "forbidden",
            "message": "role 'agent' (agent-desk) may not POST /v1/decide (needs admin or decider)",
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
    410: (
        "Its customer was erased: the record can no longer be read",
        {
            "code": "decision_erased",
            "message": "decision 'dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB' can no longer be read: "
            "customer 'c13_amehta' was erased",
        },
    ),
    413: (
        "Body too large",
        {
            "code": "payload_too_large",
            "message": "request body over the 262144-byte limit (NEXTBEST_MAX_BODY_BYTES)",
            "field": "body",
        },
    ),
    429: (
        "Over the rate limit of the key (Retry-After says when to retry)",
        {
            "code": "rate_limited",
            "message": "rate limit of 50 requests/s for 'crm'; retry in 0.02 s",
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


_VARIANTS: dict[str, tuple[int, str, dict[str, Any]]] = {
    "customer_not_found": (
        404,
        "Unknown customer",
        {
            "code": "customer_not_found",
            "message": "customer 'c99_nobody' not found",
            "field": "customer_id",
        },
    ),
    "checkpoint_not_found": (
        404,
        "No checkpoint yet",
        {
            "code": "checkpoint_not_found",
            "message": "no checkpoint yet: nothing has been logged",
        },
    ),
    "idempotency_mismatch": (
        409,
        "Idempotency-Key already used for a different request, or an inline profile for a "
        "stored customer (profile_conflict)",
        {
            "code": "idempotency_mismatch",
            "message": "Idempotency-Key was already used for a different request "
            "(decision 'dec_01KAG4Z4W3QJ8RM5Y2N6T7V9XB')",
            "field": "Idempotency-Key",
        },
    ),
    "approval_not_found": (
        404,
        "Unknown approval",
        {
            "code": "approval_not_found",
            "message": "approval 'apr_01KAG4Z4W3QJ8RM5Y2N6T7V9XB' not found",
            "field": "approval_id",
        },
    ),
    "approval_closed": (
        409,
        "The approval already has another verdict, or expired",
        {
            "code": "approval_closed",
            "message": "approval 'apr_01KAG4Z4W3QJ8RM5Y2N6T7V9XB' is already expired (by system "
            "at 2026-11-20T14:05:00+00:00): it takes no other verdict",
            "field": "approval_id",
        },
    ),
    "approval_erased": (
        410,
        "Its customer was erased: the approval can no longer be read or decided",
        {
            "code": "approval_erased",
            "message": "approval 'apr_01KAG4Z4W3QJ8RM5Y2N6T7V9XB' belongs to an erased customer: "
            "it can no longer be read or decided",
            "field": "approval_id",
        },
    ),
    "unknown_query": (
        422,
        "Invalid input: an unknown query parameter or a bad value",
        {
            "code": "invalid_input",
            "message": "unknown query parameter 'customer' (this route takes: ...)",
            "field": "query.customer",
            "fields": [
                {
                    "path": "query.customer",
                    "message": "unknown query parameter (this route takes: ...)",
                }
            ],
        },
    ),
}
"""Examples that fit some routes better than their status's usual one."""


def errors(
    *statuses: int, variants: Iterable[str] = (), plain_route: bool = False
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, in the real error shape.

    ``variants`` names examples that fit the route better than a status's usual one, e.g.
    ``customer_not_found`` for a 404 about a customer, ``unknown_query`` for a route without
    a body. ``plain_route``: the route answers text on success, and FastAPI would file the
    error model under its media type, so the JSON schema is referenced explicitly instead.
    """
    examples = dict(_EXAMPLES)
    for name in variants:
        status, description, example = _VARIANTS[name]
        examples[status] = (description, example)
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        media: dict[str, Any] = {"example": {"error": examples[status][1]}}
        response: dict[str, Any] = {"description": examples[status][0]}
        if plain_route:
            media["schema"] = {"$ref": "#/components/schemas/ErrorResponse"}
        else:
            response["model"] = ErrorResponse
        response["content"] = {"application/json": media}
        responses[status] = response
    return responses

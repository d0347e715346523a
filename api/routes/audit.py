"""The tamper-evident log over HTTP: verify it, and fetch its latest signed checkpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime

from agent.audit.store import VerifyReport
from agent.errors import ErrorCode, NextbestError
from api.deps import DeciderDep
from api.openapi import errors, example_text, ok

__all__ = ["router"]

router = APIRouter(tags=["audit"])


@router.get(
    "/v1/audit/verify",
    response_model=VerifyReport,
    responses={**ok("audit_verify"), **errors(401, 403, 429, 422, variants=("unknown_query",))},
)
async def verify(
    decider: DeciderDep,
    since: Annotated[
        AwareDatetime | None,
        Query(description="Only rows chained at or after this (every checkpoint is checked)."),
    ] = None,
) -> VerifyReport:
    """Check the whole log: every chain entry links to the one before and hashes to what it
    says, every chained row (decisions, outcomes, erasure receipts) still hashes to its entry,
    no entry lost its row and no row sits beside the chain, and every signed checkpoint still
    matches. `ok: false` names the first broken row. About a second per 100,000 rows:
    `nextbest audit verify` does the same from the command line."""
    return await decider.verify_log(since=since)


@router.get(
    "/v1/audit/checkpoint",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The latest signed checkpoint, a C2SP tlog-checkpoint note: origin,"
            " size, base64 Merkle root (RFC 6962), a blank line, Ed25519 signature lines.",
            "content": {"text/plain": {"example": example_text("audit_checkpoint.txt")}},
        },
        **errors(
            401,
            403,
            404,
            429,
            422,
            variants=("checkpoint_not_found", "unknown_query"),
            plain_route=True,
        ),
    },
)
async def checkpoint(decider: DeciderDep) -> PlainTextResponse:
    """The chain's latest signed head, for witnesses and monitors to keep: a later checkpoint
    that does not extend it proves the log was rewritten. The server signs one as it starts
    (and here, when there is none yet), then every `NEXTBEST_AUDIT_CHECKPOINT_S` seconds in
    which the log has grown; `nextbest audit key` prints the verifier key."""
    latest = await decider.latest_checkpoint() or await decider.sign_checkpoint()
    if latest is None:
        raise NextbestError(
            "no checkpoint yet: nothing has been logged", ErrorCode.CHECKPOINT_NOT_FOUND
        )
    return PlainTextResponse(latest.note, media_type="text/plain; charset=utf-8")

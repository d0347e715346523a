"""Approvals: the queue of decisions whose action waits for a human's yes, and the verdicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from agent.approvals import Approval, ApprovalStatus, ApprovalVerdictIn
from agent.approvals.models import Verdict
from api.auth import CallerDep
from api.deps import DeciderDep
from api.openapi import CUSTOMER_ID_PATTERN, errors, ok

__all__ = ["router"]

router = APIRouter(tags=["approvals"])

APPROVAL_ID_PATTERN = r"^apr_[A-Za-z0-9]{1,60}$"

ApprovalId = Annotated[
    str,
    Path(
        pattern=APPROVAL_ID_PATTERN,
        description="The approval, e.g. apr_01KAG4Z4W3QJ8RM5Y2N6T7V9XB.",
    ),
]


class ApprovalPage(BaseModel):
    items: list[Approval] = Field(
        description="Up to `limit` approvals: pending ones oldest first (the queue, most "
        "urgent first), otherwise newest first. Erased customers' approvals are left out."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


@router.get(
    "/v1/approvals",
    response_model=ApprovalPage,
    responses={
        **ok("approval_page"),
        **errors(400, 401, 403, 429, 422, variants=("unknown_query",)),
    },
)
async def list_approvals(
    decider: DeciderDep,
    status: Annotated[
        ApprovalStatus | None,
        Query(description="pending (the queue), approved, rejected, expired or cancelled."),
    ] = None,
    customer_id: Annotated[
        str | None,
        Query(pattern=CUSTOMER_ID_PATTERN, description="Only this customer's, e.g. c13_amehta."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size, 1-200.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="`next_cursor` of the previous page (400 if invalid)."),
    ] = None,
) -> ApprovalPage:
    """Decisions whose chosen action needed approval: what waits, why (the policy rules that
    asked), until when, and what became of each."""
    page = await decider.approvals.list(
        status=status, customer_id=customer_id, limit=limit, cursor=cursor
    )
    return ApprovalPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/v1/approvals/{approval_id}",
    response_model=Approval,
    responses={
        **ok("approval"),
        **errors(401, 403, 404, 410, 422, 429, variants=("approval_not_found", "approval_erased")),
    },
)
async def get_approval(approval_id: ApprovalId, decider: DeciderDep) -> Approval:
    """One approval with every step: requested, the verdict, the release."""
    return await decider.approvals.get(approval_id)


_VERDICT_ERRORS = errors(
    401,
    403,
    404,
    409,
    410,
    413,
    422,
    429,
    variants=("approval_not_found", "approval_closed", "approval_erased"),
)


async def _decide(
    approval_id: str,
    verdict: Verdict,
    body: ApprovalVerdictIn,
    decider: DeciderDep,
    caller: CallerDep,
) -> Approval:
    return await decider.approvals.decide(
        approval_id, verdict, reason=body.reason, actor=caller.name
    )


@router.post(
    "/v1/approvals/{approval_id}/approve",
    response_model=Approval,
    responses={**ok("approval"), **_VERDICT_ERRORS},
)
async def approve(
    approval_id: ApprovalId, body: ApprovalVerdictIn, decider: DeciderDep, caller: CallerDep
) -> Approval:
    """Approve the waiting action, with a reason. The guards run again on a fresh policy
    snapshot (a cap may have filled, a consent been withdrawn): if they still permit it, it
    is released; if not, the next permitted alternative or the safe default is, and the
    released decision's rationale says why. The release is a decision of its own
    (`released_decision_id`, `<decision_id>.released`); the original is never changed.
    Sending the same verdict again returns the approval as it stands; a different verdict
    after one was given, or any verdict after expiry, is refused with 409."""
    return await _decide(approval_id, "approved", body, decider, caller)


@router.post(
    "/v1/approvals/{approval_id}/reject",
    response_model=Approval,
    responses={**ok("approval"), **_VERDICT_ERRORS},
)
async def reject(
    approval_id: ApprovalId, body: ApprovalVerdictIn, decider: DeciderDep, caller: CallerDep
) -> Approval:
    """Reject the waiting action, with a reason: the decision's next permitted alternative
    (one that needs no approval of its own) is released, or else the safe default."""
    return await _decide(approval_id, "rejected", body, decider, caller)

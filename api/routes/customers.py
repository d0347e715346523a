"""Customers: profiles and their interaction events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from agent.errors import ErrorCode, NextbestError
from agent.events import Event
from agent.privacy.erasure import ErasureReceipt
from agent.profile import Profile
from api.auth import CallerDep
from api.deps import DeciderDep
from api.openapi import CUSTOMER_ID_PATTERN, errors, ok

__all__ = ["router"]

router = APIRouter(tags=["customers"])

CustomerPath = Annotated[
    str, Path(pattern=CUSTOMER_ID_PATTERN, description="The customer's id, e.g. c13_amehta.")
]


class ProfilePage(BaseModel):
    items: list[Profile] = Field(description="Up to `limit` profiles, by customer_id.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class EventsIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "id": "evt_c13_010",
                            "ts": "2026-11-20T20:15:00Z",
                            "channel": "web",
                            "type": "page_view",
                            "properties": {
                                "page": "/account/orders/ORD-7781243",
                                "page_type": "account",
                                "dwell_seconds": 45,
                            },
                        },
                        {
                            "id": "evt_c13_011",
                            "ts": "2026-11-20T20:25:00Z",
                            "channel": "chat",
                            "type": "chat_message",
                            "text": "You've taken 189 euro twice for the same order. I want "
                            "the duplicate back, today.",
                        },
                    ]
                }
            ]
        }
    )

    events: list[Event] = Field(
        min_length=1, max_length=500, description="1-500 events, in any order."
    )


class EventsAccepted(BaseModel):
    accepted: int = Field(description="Events in the request.")
    new: int = Field(description="Of those, events whose id was not stored before.")


@router.get(
    "/v1/customers",
    response_model=ProfilePage,
    responses={
        **ok("customer_page"),
        **errors(400, 401, 403, 429, 422, variants=("unknown_query",)),
    },
)
async def list_customers(
    decider: DeciderDep,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size, 1-200.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="`next_cursor` of the previous page (400 if invalid)."),
    ] = None,
) -> ProfilePage:
    """Stored profiles, ordered by customer_id."""
    page = await decider.list_customers(limit=limit, cursor=cursor)
    return ProfilePage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/v1/customers/{customer_id}",
    response_model=Profile,
    responses={
        **ok("customer"),
        **errors(401, 403, 429, 404, 422, variants=("customer_not_found", "unknown_query")),
    },
)
async def get_customer(customer_id: CustomerPath, decider: DeciderDep) -> Profile:
    """The stored profile."""
    return await decider.get_customer(customer_id)


@router.put(
    "/v1/customers/{customer_id}",
    response_model=Profile,
    responses={
        201: {"description": "Created"},
        200: {"description": "Replaced"},
        **errors(401, 403, 429, 413, 422),
    },
)
async def put_customer(
    customer_id: CustomerPath, body: Profile, decider: DeciderDep, response: Response
) -> Profile:
    """Create or replace a profile (201 when created, 200 when replaced)."""
    if body.customer_id != customer_id:
        raise NextbestError(
            f"body.customer_id {body.customer_id!r} differs from the path {customer_id!r}",
            ErrorCode.INVALID_INPUT,
            field="body.customer_id",
        )
    created = await decider.put_customer(body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return body


@router.post(
    "/v1/customers/{customer_id}/events",
    response_model=EventsAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(401, 403, 429, 404, 413, 422, variants=("customer_not_found",)),
)
async def add_events(
    customer_id: CustomerPath, body: EventsIn, decider: DeciderDep
) -> EventsAccepted:
    """Append events; an event id sent twice is stored once (``new`` counts the first time)."""
    new = await decider.add_events(customer_id, body.events)
    return EventsAccepted(accepted=len(body.events), new=new)


@router.delete(
    "/v1/customers/{customer_id}",
    response_model=ErasureReceipt,
    responses={
        **ok("erasure"),
        **errors(401, 403, 404, 422, 429, variants=("customer_not_found", "unknown_query")),
    },
)
async def erase_customer(
    customer_id: CustomerPath, decider: DeciderDep, caller: CallerDep
) -> ErasureReceipt:
    """Erase a customer (admin): profile and events deleted; their decision records sealed
    with a key that is destroyed, so they can no longer be read while the log still verifies;
    caches cleared. The receipt holds no personal data."""
    return await decider.erase_customer(customer_id, caller=caller.asker)

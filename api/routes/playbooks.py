"""GET /v1/playbooks: the active playbooks, newest version of each."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from agent.playbooks.model import Playbook, PlaybookAction
from api.deps import DeciderDep
from api.openapi import errors, ok
from tools import Channel

__all__ = ["PlaybookSummary", "router"]

router = APIRouter(tags=["playbooks"])


class PlaybookSummary(BaseModel):
    id: str = Field(description="Playbook id, e.g. billing-double-charge-open-case.")
    version: int = Field(description="The active version.")
    title: str = Field(description="What it does, in one line.")
    journey: str = Field(description="The journey it serves, e.g. billing_dispute.")
    intents: list[str] = Field(description="Intents it answers, e.g. double_charge.")
    channels: list[Channel] = Field(description="Channels it applies on; empty: any.")
    owner: str = Field(description="Who maintains it, e.g. billing-cx@northwind.example.")
    priority: float = Field(description="Business lever weight, (0, 3]; 1 is neutral.")
    actions: list[PlaybookAction] = Field(description="The actions it proposes, in order.")

    @classmethod
    def from_playbook(cls, playbook: Playbook) -> PlaybookSummary:
        return cls.model_validate(playbook.model_dump(include=set(cls.model_fields)))


@router.get(
    "/v1/playbooks",
    response_model=list[PlaybookSummary],
    responses={
        **ok("playbooks"),
        **errors(401, 403, 429, 422, variants=("unknown_query",)),
    },
)
async def list_playbooks(decider: DeciderDep) -> list[PlaybookSummary]:
    """What retrieval can pick from: id, version, who owns it, and the actions it proposes."""
    return [PlaybookSummary.from_playbook(p) for p in await decider.list_playbooks()]

"""GET /v1/playbooks: the active playbooks, newest version of each."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from agent.playbooks.model import Playbook, PlaybookAction
from api.deps import DeciderDep
from tools import Channel

__all__ = ["PlaybookSummary", "router"]

router = APIRouter(tags=["playbooks"])


class PlaybookSummary(BaseModel):
    id: str
    version: int
    title: str
    journey: str
    intents: list[str]
    channels: list[Channel]
    owner: str
    priority: float
    actions: list[PlaybookAction]

    @classmethod
    def from_playbook(cls, playbook: Playbook) -> PlaybookSummary:
        return cls.model_validate(playbook.model_dump(include=set(cls.model_fields)))


@router.get("/v1/playbooks", response_model=list[PlaybookSummary])
async def list_playbooks(decider: DeciderDep) -> list[PlaybookSummary]:
    """What retrieval can pick from: id, version, who owns it, and the actions it proposes."""
    return [PlaybookSummary.from_playbook(p) for p in await decider.list_playbooks()]

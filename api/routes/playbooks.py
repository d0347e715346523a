"""GET /v1/playbooks: the active playbooks, newest version of each."""

from __future__ import annotations

from fastapi import APIRouter

from agent.playbooks.model import Playbook
from api.deps import DeciderDep

__all__ = ["router"]

router = APIRouter(tags=["playbooks"])


@router.get("/v1/playbooks", response_model=list[Playbook])
async def list_playbooks(decider: DeciderDep) -> list[Playbook]:
    return await decider.list_playbooks()

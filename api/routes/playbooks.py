"""GET /v1/playbooks: the active playbooks, newest version of each; POST: ingest new ones
into the running server."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from agent.playbooks.model import Playbook, PlaybookAction
from agent.playbooks.store import IngestReport
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


class PlaybookFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,120}\.md$",
        description="The file's name, e.g. billing-dispute-acknowledge.md (named in errors).",
    )
    text: str = Field(
        min_length=1, max_length=64_000, description="The Markdown, YAML front matter first."
    )


class PlaybookUpload(BaseModel):
    """Playbook files to validate and ingest, as `nextbest playbooks ingest --url` sends them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "files": [
                        {
                            "name": "billing-dispute-acknowledge.md",
                            "text": "---\nid: billing-dispute-acknowledge\nversion: 3\n...",
                        }
                    ]
                }
            ]
        },
    )

    files: list[PlaybookFile] = Field(min_length=1, max_length=200, description="1-200 files.")


@router.post(
    "/v1/playbooks",
    response_model=IngestReport,
    responses={
        **ok("playbook_ingest"),
        **errors(401, 403, 413, 422, 429),
    },
)
async def ingest_playbooks(body: PlaybookUpload, decider: DeciderDep) -> IngestReport:
    """Validate the files and upsert new versions into the running server's playbook store
    (admin). All or nothing: a bad file is a 422 naming it and its field, and nothing is
    written. Decisions made meanwhile see the old set or the new one, never half of it, and
    the next decision uses the new one."""
    return await decider.ingest_playbook_files([(f.name, f.text) for f in body.files])

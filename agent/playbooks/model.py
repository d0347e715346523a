"""A playbook: Markdown with YAML front matter, written and versioned by CX teams."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tools import ActionType, Channel

__all__ = ["Playbook", "PlaybookAction", "PlaybookHit", "PlaybookId"]

PlaybookId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{1,80}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class PlaybookAction(BaseModel):
    """A recommended action with default arguments; the planner fills what is left out
    (channel from the customer's preference, send time now, currency from the profile)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ActionType = Field(description="The action to propose.")
    args: dict[str, Any] = Field(
        default_factory=dict, description="Default arguments; the planner fills the rest."
    )
    weight: float = Field(default=0.5, ge=0, le=1, description="Prior propensity of success.")
    value: float = Field(default=1.0, ge=0, description="Business value if it succeeds (relative).")
    when: str | None = Field(default=None, description="Extra CEL condition for this action only.")


class Playbook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: PlaybookId
    version: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=200)
    journey: Slug
    intents: list[Slug] = Field(min_length=1)
    channels: list[Channel] = Field(default_factory=list, description="Empty: any channel.")
    segments: list[str] = Field(default_factory=list, description="Empty: any segment.")
    conditions: list[str] = Field(
        default_factory=list,
        description="CEL expressions over profile, signals, context; all must hold.",
    )
    selected_by: Literal["similarity", "conditions"] = Field(
        default="similarity",
        description="similarity: considered when the customer's words (or the journey) are "
        "near it, or it lists their intent. conditions: considered in every decision, and a "
        "full fit whenever its conditions hold, however unlike the words (care for a "
        "vulnerable customer, contact pressure); it must have conditions.",
    )
    priority: float = Field(default=1.0, gt=0, le=3, description="Business lever weight.")
    owner: str = Field(min_length=1, description="Who answers for it (a team's address).")
    review_by: date | None = Field(
        default=None,
        description="When it is next reviewed; `nextbest governance report` lists it when the "
        "date has passed (or is not set).",
    )
    actions: list[PlaybookAction] = Field(min_length=1)
    talk_track: str = Field(default="", max_length=4000)
    body: str = Field(default="", description="Markdown guidance below the front matter.")

    @model_validator(mode="after")
    def _conditions_to_select_by(self) -> Self:
        if self.selected_by == "conditions" and not self.conditions:
            raise ValueError("selected_by: conditions needs at least one condition")
        return self

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def content_hash(self) -> str:
        """Changes with any change to the playbook; unchanged ones are not re-embedded.
        ``selected_by`` counts only when set: it came later, and a playbook that does not use
        it keeps the hash it was stored with."""
        later = {"selected_by"} if self.selected_by == "similarity" else None
        return hashlib.sha256(self.model_dump_json(exclude=later).encode()).hexdigest()[:16]

    @property
    def embedding_text(self) -> str:
        return "\n".join(
            [self.title, " ".join(i.replace("_", " ") for i in self.intents), self.body]
        )


class PlaybookHit(BaseModel):
    """A retrieved playbook with its score, as recorded in the decision trace."""

    model_config = ConfigDict(frozen=True)

    playbook: Playbook
    score: float = Field(description="Cosine similarity to the query, 0..1.")
    conditions_met: bool = True
    condition_errors: list[str] = Field(default_factory=list)

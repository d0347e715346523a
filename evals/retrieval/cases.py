"""The labelled retrieval set: what a decide request carries, and the playbooks it should find.

A set is YAML (``evals/retrieval/default.yaml``) validated by these models. Each case is one
request as an orchestrator or a support desk would send it: the stated reason in the
customer's or the agent's words, the channel and direction, optionally the journey, and the
recent events (relative to the set's pinned ``now``). ``expected`` names the playbooks a correct
retrieval puts first: more than one only where the profile conditions, checked after
retrieval, are what tell them apart. ``intent`` is the catalogued intent the reason should be
matched to (``none``: no intent should be named).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from agent.context import Direction, RequestContext
from agent.events import Event
from agent.profile import Profile, Tier
from agent.record import DecideRequest
from tools import Channel

__all__ = ["DEFAULT_SET", "CaseEvent", "RetrievalCase", "RetrievalSet", "load_set"]

DEFAULT_SET = Path(__file__).with_name("default.yaml")

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,79}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseEvent(_Strict):
    """A recent event, dated ``minutes_ago`` before the set's ``now``."""

    type: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    minutes_ago: int = Field(ge=0, le=60 * 24 * 90)
    channel: Channel = Channel.WEB
    text: str | None = Field(default=None, max_length=4000)
    properties: dict[str, str | int | float | bool] = Field(default_factory=dict)


class RetrievalCase(_Strict):
    id: Slug
    reason: str | None = Field(default=None, max_length=1000)
    channel: Channel | None = Channel.CHAT
    direction: Direction = "inbound"
    journey: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$")
    tier: Tier = Tier.STANDARD
    segment: str | None = None
    events: tuple[CaseEvent, ...] = ()
    expected: tuple[Slug, ...] = Field(min_length=1, description="Any of these is a hit.")
    intent: Slug | Literal["none"] | None = Field(
        default=None, description="The intent the reason should match; none: no intent named."
    )
    note: str = ""

    def request(self, now: AwareDatetime) -> DecideRequest:
        """The decide request this case stands for, with an inline profile of its own."""
        customer_id = f"rq-{self.id}"
        events = [
            Event(
                id=f"{self.id}-e{i}",
                ts=now - timedelta(minutes=e.minutes_ago),
                channel=e.channel,
                type=e.type,
                text=e.text,
                properties=e.properties,
            )
            for i, e in enumerate(self.events, start=1)
        ]
        return DecideRequest(
            profile=Profile(
                customer_id=customer_id, tier=self.tier, segment=self.segment, timezone="UTC"
            ),
            events=events,
            context=RequestContext(
                channel=self.channel,
                direction=self.direction,
                reason=self.reason,
                journey=self.journey,
            ),
        )


class RetrievalSet(_Strict):
    version: int = Field(ge=1)
    now: AwareDatetime = Field(description="The pinned clock every case is decided at.")
    cases: tuple[RetrievalCase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [c.id for c in self.cases]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate case ids: {duplicates!r}")
        return self


def load_set(path: Path = DEFAULT_SET) -> RetrievalSet:
    """Load and validate a retrieval set."""
    return RetrievalSet.model_validate(yaml.safe_load(path.read_text("utf-8")))

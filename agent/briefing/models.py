"""A handoff briefing: what a support agent needs so the customer never repeats their story."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = ["Briefing", "BriefingItem", "Fact", "FactSource"]

FactSource = Literal["profile", "event", "case", "playbook", "signal", "policy", "context"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Fact(_Frozen):
    """One checkable fact; every briefing claim cites facts by id."""

    id: str = Field(description="f1, f2, ... within the briefing.")
    source: FactSource
    ref: str = Field(description="Profile field path, event id, case id, playbook id@version, ...")
    text: str


class BriefingItem(_Frozen):
    text: str
    fact_ids: list[str] = Field(min_length=1)


class Briefing(_Frozen):
    schema_version: Literal[1] = 1
    briefing_id: str
    decision_id: str
    customer_id: str
    created_at: AwareDatetime
    customer_summary: list[BriefingItem]
    trying_to_do: list[BriefingItem]
    what_went_wrong: list[BriefingItem]
    sentiment_and_effort: list[BriefingItem]
    open_cases: list[BriefingItem]
    recommended_action: list[BriefingItem]
    talk_track: str | None
    do_not: list[BriefingItem]
    facts: list[Fact]
    narrative: str
    narrative_source: Literal["template", "llm"] = "template"

    @property
    def sections(self) -> tuple[list[BriefingItem], ...]:
        """The item sections, in the order an agent reads them."""
        return (
            self.customer_summary,
            self.trying_to_do,
            self.what_went_wrong,
            self.sentiment_and_effort,
            self.open_cases,
            self.recommended_action,
            self.do_not,
        )

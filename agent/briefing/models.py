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
    source: FactSource = Field(description="Where the fact comes from.")
    ref: str = Field(description="Profile field path, event id, case id, playbook id@version, ...")
    text: str = Field(description="The fact, stated plainly.")


class BriefingItem(_Frozen):
    text: str = Field(description="One line for the agent to read.")
    fact_ids: list[str] = Field(min_length=1, description="The facts it rests on: f1, f2, ...")


class Briefing(_Frozen):
    schema_version: Literal[1] = Field(default=1, description="Version of the briefing's shape.")
    briefing_id: str = Field(description="Sortable id, e.g. brf_01KAG4Z4W3QJ8RM5Y2N6T7V9XC.")
    decision_id: str = Field(description="The decision recorded with it.")
    customer_id: str = Field(description="The customer, e.g. c13_amehta.")
    created_at: AwareDatetime = Field(description="When it was composed (UTC).")
    customer_summary: list[BriefingItem] = Field(
        description="Who the customer is: tier, tenure, products."
    )
    trying_to_do: list[BriefingItem] = Field(description="What the customer is trying to do.")
    what_went_wrong: list[BriefingItem] = Field(
        description="Errors, failed attempts, transfers on the way."
    )
    sentiment_and_effort: list[BriefingItem] = Field(
        description="How they feel, how hard it has been, churn risk."
    )
    open_cases: list[BriefingItem] = Field(description="Cases still open.")
    recommended_action: list[BriefingItem] = Field(
        description="What to do next, and the playbook it comes from."
    )
    talk_track: str | None = Field(description="Suggested words from that playbook, if it has any.")
    do_not: list[BriefingItem] = Field(description="What the guards denied or adjusted, and why.")
    facts: list[Fact] = Field(description="Every fact the items and the narrative cite.")
    narrative: str = Field(description="A short paragraph citing facts as [f1].")
    narrative_source: Literal["template", "llm"] = Field(
        default="template",
        description="template, or llm when an LLM wrote it and every claim checked out.",
    )

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

"""A reviewer's verdict on a logged decision: good, poor or harmful, the action they would
have taken instead (a typed tool call), tags and a note."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

from tools import ActionCall, ActionType

__all__ = ["ErasedReview", "LoggedReview", "ReviewIn", "ReviewRecordV1", "Tag", "Verdict"]

Verdict = Literal["good", "poor", "harmful"]
"""good: the right action; poor: a better one existed; harmful: it should never have happened."""

Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$")]

_EXAMPLE_ACTION: dict[str, JsonValue] = {
    "type": "handoff_to_agent",
    "args": {"queue": "billing_disputes", "priority": "high", "reason": "double charge"},
}


class ReviewIn(BaseModel):
    """A review as the reviewer sends it."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "verdict": "poor",
                    "action": _EXAMPLE_ACTION,
                    "tags": ["repeat-contact", "billing"],
                    "note": "Third contact on the same charge: a person should take it.",
                },
                {"verdict": "good", "tags": ["billing"]},
            ]
        },
    )

    verdict: Verdict = Field(
        description="good: the right action; poor: a better one existed; harmful: it should "
        "never have been taken."
    )
    action: ActionCall | None = Field(
        default=None,
        description="The action the reviewer would have taken, as a typed tool call "
        '({"type": ..., "args": {...}}, validated like the agent\'s own). Required for poor '
        "and harmful (no_action counts); left out for good.",
    )
    tags: list[Tag] = Field(
        default_factory=list,
        max_length=20,
        description="Up to 20 lowercase labels, e.g. repeat-contact, tone, consent.",
    )
    note: str = Field(default="", max_length=2000, description="Free text for humans.")

    @model_validator(mode="after")
    def _action_fits_the_verdict(self) -> Self:
        if self.verdict == "good" and self.action is not None:
            raise ValueError("a good verdict agrees with the decision: leave action out")
        if self.verdict != "good" and self.action is None:
            raise ValueError(
                f"a {self.verdict} verdict needs the action you would have taken (no_action counts)"
            )
        if len(set(self.tags)) != len(self.tags):
            raise ValueError("tags repeat")
        return self


class ReviewRecordV1(BaseModel):
    """A review as stored: the reviewer's input, scrubbed, with who and when."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = Field(default=1, description="Version of the record's shape.")
    review_id: str = Field(description="rev_…, sortable by time.")
    decision_id: str = Field(description="The decision reviewed.")
    customer_id: str = Field(description="That decision's customer.")
    decision_action: ActionType = Field(description="The action the decision chose.")
    verdict: Verdict = Field(description="good, poor or harmful.")
    action: ActionCall | None = Field(description="The action the reviewer would have taken.")
    tags: list[Tag] = Field(description="The reviewer's labels.")
    note: str = Field(description="The reviewer's note, scrubbed of contacts and card numbers.")
    reviewer: str = Field(description="The API key that wrote it (anonymous without keys).")
    created_at: AwareDatetime = Field(description="When it was written.")


class ErasedReview(BaseModel):
    """What the log still says of a review whose customer was erased: no action, no note."""

    model_config = ConfigDict(frozen=True)

    review_id: str = Field(description="The review's id.")
    decision_id: str = Field(description="The decision reviewed.")
    customer_id: str = Field(description="The customer's id (the rest of them is gone).")
    verdict: Verdict = Field(description="good, poor or harmful.")
    tags: list[Tag] = Field(description="The reviewer's labels.")
    reviewer: str = Field(description="Who wrote it.")
    created_at: AwareDatetime = Field(description="When it was written.")
    erased: Literal[True] = Field(default=True, description="Always true.")


LoggedReview = ReviewRecordV1 | ErasedReview

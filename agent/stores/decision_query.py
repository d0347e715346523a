"""Filters for searching the decision log; every field is optional and they combine with AND."""

from __future__ import annotations

import hashlib
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from agent.profile import CustomerId
from agent.record import Mode
from tools import ActionType

__all__ = ["DecisionQuery"]


class DecisionQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: CustomerId | None = None
    action_type: ActionType | None = Field(default=None, description="Type of the chosen call.")
    mode: Mode | None = None
    kind: Literal["decision", "briefing"] | None = None
    since: AwareDatetime | None = Field(default=None, description="created_at >= since.")
    until: AwareDatetime | None = Field(default=None, description="created_at < until.")

    @model_validator(mode="after")
    def _ordered_window(self) -> Self:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("since must not be after until")
        return self

    def fingerprint(self) -> str:
        """A short digest of the filters, so a cursor is only accepted by the query it came from."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

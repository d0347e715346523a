"""Values an LLM call hands back, and what a decision record keeps of each call."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ChatResult", "LLMCallTrace", "LLMUsage", "ToolCallOut", "prompt_version"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class LLMUsage(_Frozen):
    """Token counts as the server reported them (zeros when it reported none)."""

    prompt_tokens: int = Field(default=0, description="Tokens in the prompt.")
    completion_tokens: int = Field(default=0, description="Tokens in the answer.")
    total_tokens: int = Field(default=0, description="Both together.")


class ToolCallOut(_Frozen):
    """One function tool call the model made."""

    id: str
    name: str
    arguments: str = Field(description="Raw JSON text, exactly as the model sent it.")


class ChatResult(_Frozen):
    """The first choice of one chat completion, plus what it cost to get."""

    content: str | None
    tool_calls: list[ToolCallOut]
    refusal: str | None = Field(description="Set when the model declined; not an error.")
    finish_reason: str | None
    model: str = Field(description="The model the server says answered.")
    usage: LLMUsage
    latency_ms: float = Field(description="Whole call, retries and waits included.")
    attempts: int = Field(ge=1)


class LLMCallTrace(_Frozen):
    """What a decision record keeps of one LLM call: enough to explain and replay it."""

    purpose: Literal["plan", "repair", "narrative"] | str = Field(
        description="What the call was for: plan, repair or narrative."
    )
    model: str = Field(description="The model the server says answered.")
    latency_ms: float = Field(description="Whole call in milliseconds, retries included.")
    attempts: int = Field(description="HTTP attempts made (1 without retries).")
    usage: LLMUsage = Field(description="Token counts.")
    prompt_version: str = Field(description="Hash of the prompt templates, e.g. p-3f1c0a9b2d4e.")
    outcome: str = Field(description='"ok", "rejected", or an LLMError code.')


def prompt_version(*parts: str) -> str:
    """A short stable id of the prompt templates used, e.g. ``p-3f1c0a9b2d4e``.

    Hash the template texts (not the filled-in prompts), so the id changes exactly when someone
    edits a template.
    """
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")  # ("ab", "c") and ("a", "bc") must differ
    return "p-" + digest.hexdigest()[:12]

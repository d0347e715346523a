"""Values an LLM call hands back, and what a decision record keeps of each call."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.llm.errors import LLMError

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
    request_chars: int = Field(default=0, description="Size of the request body, as JSON.")


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
    status: int | None = Field(
        default=None, description="The HTTP status of the last failed attempt, e.g. 400."
    )
    error_type: str | None = Field(
        default=None,
        description="The error type the server named, e.g. exceed_context_size_error.",
    )
    error_message: str | None = Field(
        default=None, description="The first 200 characters of the server's error message."
    )
    request_chars: int | None = Field(
        default=None,
        description="Size of the request (messages, tool schemas), in characters of JSON.",
    )
    tool_choice: str | None = Field(
        default=None,
        description="What the call asked for: required, auto, none (a JSON plan), or the one "
        "tool it named.",
    )
    probed_at: datetime | None = Field(
        default=None,
        description="When `nextbest llm probe` chose the call's tool_choice mode "
        "(NEXTBEST_LLM_TOOL_CHOICE=probe); None when the mode was configured.",
    )

    @classmethod
    def failed(cls, purpose: str, model: str, error: LLMError, prompt_version: str) -> LLMCallTrace:
        """The trace of a call that ended in ``error``: its code, and what the server said."""
        return cls(
            purpose=purpose,
            model=model,
            latency_ms=round(error.latency_ms, 3),
            attempts=error.attempts,
            usage=LLMUsage(),
            prompt_version=prompt_version,
            outcome=error.code.value,
            status=error.status,
            error_type=error.error_type,
            error_message=error.server_message,
            request_chars=error.request_chars or None,
        )


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

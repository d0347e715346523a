"""What an OpenAI-compatible server answered, read as a ``ChatResult``: a completion, or a
streamed text answer gathered whole. Answers are not validated by the SDK, and local servers
bend the format (no call ids, arguments sent as JSON objects), so reading is lenient where it
can be and an ``LLMError`` where it cannot."""

from __future__ import annotations

import json
from collections.abc import Sequence

from openai import AsyncStream
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageFunctionToolCall,
)
from pydantic import ValidationError

from agent.llm.errors import LLMError, LLMErrorCode
from agent.llm.models import ChatResult, LLMUsage, ToolCallOut

__all__ = ["gathered", "to_result"]


def _tool_calls(calls: Sequence[object]) -> list[ToolCallOut]:
    """Function tool calls, read leniently: local servers omit ids or send arguments as JSON."""
    found = []
    for index, call in enumerate(calls):
        if not isinstance(call, ChatCompletionMessageFunctionToolCall):
            continue  # a custom (free-form) tool call: we never offer those
        name, arguments = call.function.name, call.function.arguments
        if not isinstance(name, str) or not name:
            raise LLMError(LLMErrorCode.BAD_RESPONSE, "a tool call has no function name")
        if not isinstance(arguments, str):
            arguments = "" if arguments is None else json.dumps(arguments)
        found.append(ToolCallOut(id=call.id or f"call_{index}", name=name, arguments=arguments))
    return found


async def gathered(chunks: AsyncStream[ChatCompletionChunk]) -> ChatCompletion:
    """A streamed text answer as one completion: its text (or refusal), finish reason, model
    and usage. A server that answers with one JSON completion instead is read as one."""
    if chunks.response.headers.get("content-type", "").startswith("application/json"):
        return ChatCompletion.model_validate_json(await chunks.response.aread())
    parts: list[str] = []
    refused: list[str] = []
    first: ChatCompletionChunk | None = None
    finish: str | None = None
    usage = None
    async for chunk in chunks:
        first = first or chunk
        usage = chunk.usage or usage
        for choice in chunk.choices[:1]:
            parts.append(choice.delta.content or "")
            refused.append(choice.delta.refusal or "")
            finish = choice.finish_reason or finish
    if first is None:
        raise LLMError(LLMErrorCode.BAD_RESPONSE, "the stream ended before any chunk")
    message = {"role": "assistant", "content": "".join(parts), "refusal": "".join(refused) or None}
    return ChatCompletion.model_validate(
        {
            "id": first.id,
            "object": "chat.completion",
            "created": first.created,
            "model": first.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish or "stop"}],
            "usage": usage.model_dump() if usage is not None else None,
        }
    )


def to_result(
    completion: object, *, fallback_model: str, latency_ms: float, attempts: int
) -> ChatResult:
    """The first choice as a ChatResult. The SDK does not validate answers, so we do."""
    if not isinstance(completion, ChatCompletion) or not isinstance(completion.choices, list):
        raise LLMError(LLMErrorCode.BAD_RESPONSE, "the answer is not a chat completion")
    if not completion.choices:
        raise LLMError(LLMErrorCode.EMPTY_CHOICES, "the answer has no choices")
    choice = completion.choices[0]
    message = choice.message
    if message is None:
        raise LLMError(LLMErrorCode.BAD_RESPONSE, "the first choice has no message")
    usage = completion.usage
    try:
        return ChatResult(
            content=message.content,
            tool_calls=_tool_calls(message.tool_calls or []),
            refusal=message.refusal,
            finish_reason=choice.finish_reason,
            model=completion.model or fallback_model,
            usage=LLMUsage(
                prompt_tokens=usage.prompt_tokens or 0,
                completion_tokens=usage.completion_tokens or 0,
                total_tokens=usage.total_tokens or 0,
            )
            if usage is not None
            else LLMUsage(),
            latency_ms=latency_ms,
            attempts=attempts,
        )
    except ValidationError:
        raise LLMError(LLMErrorCode.BAD_RESPONSE, "the answer has malformed fields") from None

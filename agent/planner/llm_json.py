"""tool_choice "none": the plan comes back as JSON that a schema constrains, not as tool calls.

The last resort for a server whose model will not call tools (a small model behind llama.cpp's
``llama-server`` writes prose instead). The request offers no tools. One user message lists the
action tools with their argument schemas, and ``response_format`` carries a JSON schema that
admits only ``{"calls": [{"tool": NAME, "arguments": {...}}]}``, each tool with its own
arguments. Servers that constrain generation to a schema (llama.cpp, vLLM, Ollama, OpenAI) can
then only write a well-formed plan. The answer is read back as tool calls, and everything after
(parsing, the guards, the repair round) is the same as in the other modes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from openai.types.chat import ChatCompletionToolParam

from agent.config import JsonForm
from agent.llm import ChatResult, ToolCallOut

__all__ = ["MAX_CALLS", "calls_from_json", "response_format", "tool_listing"]

MAX_CALLS = 3
"""Proposals one JSON plan may hold: enough for a primary action and two alternatives."""


def _call_schema(tool: ChatCompletionToolParam) -> dict[str, Any]:
    function = tool["function"]
    return {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": [function["name"]]},
            "arguments": function.get("parameters", {"type": "object"}),
        },
        "required": ["tool", "arguments"],
        "additionalProperties": False,
    }


def response_format(
    tools: Sequence[ChatCompletionToolParam], form: JsonForm = "json_schema"
) -> dict[str, Any]:
    """The ``response_format`` of a JSON plan over ``tools``: one to ``MAX_CALLS`` calls, in
    the standard ``json_schema`` form or llama-cpp-python's ``json_object`` with a schema."""
    schema = {
        "type": "object",
        "properties": {
            "calls": {
                "type": "array",
                "items": {"anyOf": [_call_schema(t) for t in tools]},
                "minItems": 1,
                "maxItems": MAX_CALLS,
            }
        },
        "required": ["calls"],
        "additionalProperties": False,
    }
    if form == "json_object":
        return {"type": "json_object", "schema": schema}
    return {
        "type": "json_schema",
        "json_schema": {"name": "plan", "strict": True, "schema": schema},
    }


def _shape(node: object) -> str:
    """A schema in a few characters: ``{channel: "email"|"sms", send_at: string or null}``."""
    if not isinstance(node, dict):
        return "any"
    if "enum" in node:
        return "|".join(json.dumps(value) for value in node["enum"])
    if "anyOf" in node:
        return " or ".join(dict.fromkeys(_shape(variant) for variant in node["anyOf"]))
    if node.get("type") == "object" or "properties" in node:
        fields = node.get("properties", {})
        return "{" + ", ".join(f"{name}: {_shape(sub)}" for name, sub in fields.items()) + "}"
    if node.get("type") == "array":
        return f"[{_shape(node.get('items'))}]"
    return str(node.get("type", "any"))


def tool_listing(tools: Sequence[ChatCompletionToolParam]) -> str:
    """The user message that stands in for the tools: what each does, and the shape of its
    arguments (the schema itself travels in ``response_format``, which holds the answer to
    it; a small model's context has no room for it twice)."""
    lines = [
        "Tools cannot be called here. Answer with one JSON object and nothing else: "
        '{"calls": [{"tool": "<tool name>", "arguments": {...}}]}, one entry per action you '
        f"propose (at most {MAX_CALLS}), the best first. The action tools and their arguments:"
    ]
    for tool in tools:
        function = tool["function"]
        shape = _shape(function.get("parameters"))
        lines.append(f"- {function['name']}: {function.get('description', '')} {shape}")
    return "\n".join(lines)


def calls_from_json(result: ChatResult) -> ChatResult:
    """The answer with its JSON plan read as tool calls (ids ``json_1``, ``json_2``, ...).

    An answer that is not such a plan keeps no tool calls: the planner then sees text where a
    plan was due, and the repair round says so."""
    try:
        plan = json.loads(result.content or "")
    except ValueError:
        return result.model_copy(update={"tool_calls": []})
    entries = plan.get("calls") if isinstance(plan, dict) else None
    if not isinstance(entries, list):
        return result.model_copy(update={"tool_calls": []})
    calls = [
        ToolCallOut(
            id=f"json_{index}",
            name=entry["tool"],
            arguments=json.dumps(entry.get("arguments", {}), separators=(",", ":")),
        )
        for index, entry in enumerate(entries[:MAX_CALLS], start=1)
        if isinstance(entry, dict) and isinstance(entry.get("tool"), str)
    ]
    return result.model_copy(update={"tool_calls": calls})

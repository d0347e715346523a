"""The tools an LLM planner is offered: strict function schemas, narrowed per request by policy.

Schemas come from the tools' pydantic argument models, rewritten to OpenAI's strict subset (every
property required, optional ones nullable, no extra keys, only supported keywords). A request's
``Precheck`` then narrows them: a tool no call of which is permitted is not offered, channel
enums hold only the channels permitted for the purpose, incentive values carry the tier's
maximum and currencies are fixed to the customer's. The guards still check every call after.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any, cast

from openai.types.chat import ChatCompletionToolParam
from pydantic import BaseModel, ConfigDict, Field

from agent.events import EventType
from policies import Precheck
from tools import CATALOG, ActionType, Channel, Identifier, Purpose

__all__ = [
    "READ_ONLY_TOOLS",
    "FetchCaseArgs",
    "FetchEventsArgs",
    "SearchPlaybooksArgs",
    "action_tools",
    "base_schemas",
    "bounded",
    "read_only_tools",
    "strict_schema",
]

JsonSchema = dict[str, Any]

_KEPT_KEYWORDS = frozenset(
    {
        "type",
        "description",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
"""Keywords strict mode accepts; others (default, title, lengths) are dropped, and the pydantic
model still enforces them when the call comes back."""


class _ReadOnlyArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SearchPlaybooksArgs(_ReadOnlyArgs):
    """Search the playbook library with your own words; returns playbooks with their ids."""

    query: str = Field(min_length=1, max_length=300, description="What to look for.")


class FetchEventsArgs(_ReadOnlyArgs):
    """Fetch more of the customer's recent interaction events, newest first."""

    limit: int = Field(ge=1, le=50, description="How many events, at most.")
    type: EventType | None = Field(default=None, description="Only events of this type.")


class FetchCaseArgs(_ReadOnlyArgs):
    """Fetch one of the customer's cases by its id."""

    case_id: Identifier = Field(description="A case id from the customer's open cases.")


READ_ONLY_TOOLS: dict[str, type[_ReadOnlyArgs]] = {
    "search_playbooks": SearchPlaybooksArgs,
    "fetch_events": FetchEventsArgs,
    "fetch_case": FetchCaseArgs,
}
"""Tools that only read: answered from the stores and the state, never proposed as actions."""


# -- pydantic -> strict -------------------------------------------------------------------------


def _resolve(node: JsonSchema, defs: Mapping[str, JsonSchema]) -> JsonSchema:
    ref = node.get("$ref")
    if isinstance(ref, str):
        resolved = dict(defs[ref.rsplit("/", 1)[-1]])
        resolved.update({k: v for k, v in node.items() if k != "$ref"})
        return resolved
    return node


def _nullable(node: JsonSchema) -> JsonSchema:
    variants = node.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        return node
    description = node.pop("description", None)
    wrapped: JsonSchema = {"anyOf": [node, {"type": "null"}]}
    if description is not None:
        wrapped["description"] = description
    return wrapped


def _strict(node: JsonSchema, defs: Mapping[str, JsonSchema]) -> JsonSchema:
    node = _resolve(node, defs)
    if "const" in node:
        node = {**node, "enum": [node["const"]]}
    out = {k: v for k, v in node.items() if k in _KEPT_KEYWORDS}
    variants = out.get("anyOf")
    if isinstance(variants, list):
        numeric = any(v.get("type") in ("number", "integer") for v in variants)
        # pydantic offers Decimal as number-or-string: a model should send a number
        kept = [v for v in variants if not (numeric and v == {"type": "string"})]
        out["anyOf"] = [_strict(v, defs) for v in kept]
        if len(out["anyOf"]) == 1:
            out = {**out.pop("anyOf")[0], **out}
    if out.get("type") == "object":
        out = _strict_object(out, node.get("required", []), defs)
    if isinstance(out.get("items"), dict):
        out["items"] = _strict(out["items"], defs)
    return out


def _strict_object(
    node: JsonSchema, required: list[str], defs: Mapping[str, JsonSchema]
) -> JsonSchema:
    properties: JsonSchema = {}
    for name, prop in node.get("properties", {}).items():
        resolved = _resolve(prop, defs)
        if resolved.get("type") == "object" and "properties" not in resolved:
            continue  # a free-form map cannot be strict; the template system fills those
        strict = _strict(prop, defs)
        properties[name] = strict if name in required else _nullable(strict)
    return {
        **node,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def strict_schema(model: type[BaseModel]) -> JsonSchema:
    """The model's JSON schema in OpenAI's strict subset: optional fields become nullable."""
    raw = model.model_json_schema()
    return _strict(raw, raw.get("$defs", {}))


@cache
def _args_schema(action: ActionType) -> str:
    args_model = cast(type[BaseModel], CATALOG[action].model_fields["args"].annotation)
    return json.dumps(strict_schema(args_model))


def base_schemas() -> dict[str, JsonSchema]:
    """Every tool's strict argument schema before narrowing: part of the prompt version."""
    schemas = {action.value: json.loads(_args_schema(action)) for action in ActionType}
    schemas.update({name: strict_schema(model) for name, model in READ_ONLY_TOOLS.items()})
    return schemas


# -- narrowing by policy ------------------------------------------------------------------------


def _enum_within(prop: JsonSchema, allowed: Iterable[str]) -> list[str]:
    permitted = set(allowed)
    return [value for value in prop.get("enum", []) if value in permitted]


def _narrow_channel(schema: JsonSchema, channels: Iterable[Channel]) -> JsonSchema | None:
    """A copy whose channel enum holds only ``channels``; None when none is left."""
    narrowed = copy.deepcopy(schema)
    prop = narrowed["properties"]["channel"]
    target = prop["anyOf"][0] if "anyOf" in prop else prop
    target["enum"] = _enum_within(target, (c.value for c in channels))
    return narrowed if target["enum"] else None


def _send_message(schema: JsonSchema, pre: Precheck) -> JsonSchema | None:
    """One variant per purpose that has a permitted channel, each with its own channels."""
    variants = []
    for purpose in Purpose:
        variant = _narrow_channel(schema, pre.channels.get(purpose, []))
        if variant is not None:
            variant["properties"]["purpose"] = {"type": "string", "enum": [purpose.value]}
            variants.append(variant)
    return _one_of(variants)


def _offer_incentive(schema: JsonSchema, pre: Precheck) -> JsonSchema | None:
    """One variant per incentive kind the tier allows, each with the tier's maximum value."""
    channelled = _narrow_channel(schema, pre.channels.get(Purpose.MARKETING, []))
    if channelled is None:
        return None
    limits: dict[str, tuple[Decimal, str]] = {
        "percent_discount": (pre.max_percent, "number"),
        "amount_discount": (pre.max_amount, "number"),
        "free_months": (Decimal(pre.max_free_months), "integer"),
    }
    variants = []
    for kind, (limit, json_type) in limits.items():
        if limit <= 0:
            continue
        variant = copy.deepcopy(channelled)
        props = variant["properties"]
        props["kind"] = {"type": "string", "enum": [kind]}
        props["value"] = {
            "type": json_type,
            "exclusiveMinimum": 0,
            "maximum": float(limit) if json_type == "number" else int(limit),
            "description": props["value"].get("description", ""),
        }
        currency = {"type": "string", "enum": [pre.currency]}
        props["currency"] = currency if kind == "amount_discount" else {"type": "null"}
        variants.append(variant)
    return _one_of(variants)


def _goodwill_credit(schema: JsonSchema, pre: Precheck) -> JsonSchema:
    narrowed = copy.deepcopy(schema)
    narrowed["properties"]["currency"] = {"type": "string", "enum": [pre.currency]}
    return narrowed


def _one_of(variants: list[JsonSchema]) -> JsonSchema | None:
    if not variants:
        return None
    return variants[0] if len(variants) == 1 else {"anyOf": variants}


def _narrowed_args(action: ActionType, pre: Precheck) -> JsonSchema | None:
    schema: JsonSchema = json.loads(_args_schema(action))
    if action in pre.forbidden:
        return None
    match action:
        case ActionType.SEND_MESSAGE:
            return _send_message(schema, pre)
        case ActionType.OFFER_INCENTIVE:
            return _offer_incentive(schema, pre)
        case ActionType.APPLY_GOODWILL_CREDIT:
            return _goodwill_credit(schema, pre)
        case _:
            return schema


def _playbook_param(playbook_ids: Iterable[str]) -> JsonSchema:
    ids = sorted(set(playbook_ids))
    description = "Id of the playbook this action follows, or null if none fits."
    if not ids:
        return {"type": "null", "description": description}
    return {
        "anyOf": [{"type": "string", "enum": ids}, {"type": "null"}],
        "description": description,
    }


def _function(name: str, description: str, parameters: JsonSchema) -> ChatCompletionToolParam:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": parameters,
            "strict": True,
        },
    }


def _action_parameters(args: JsonSchema, playbook_ids: Iterable[str]) -> JsonSchema:
    """The action's arguments under ``args``, beside the playbook it follows and why."""
    return {
        "type": "object",
        "properties": {
            "playbook_id": _playbook_param(playbook_ids),
            "rationale": {"type": "string", "description": "Why this action, in one sentence."},
            "args": args,
        },
        "required": ["playbook_id", "rationale", "args"],
        "additionalProperties": False,
    }


FREE_TEXT_CHARS = 200
"""The bound ``bounded`` sets on free text: within every tool's own limits."""


def _bound_strings(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _bound_strings(item)
        return
    if not isinstance(node, dict):
        return
    free = not {"enum", "pattern", "format", "maxLength"} & node.keys()
    if node.get("type") == "string" and free:
        node["maxLength"] = FREE_TEXT_CHARS
    for value in node.values():
        _bound_strings(value)


def bounded(tools: Iterable[ChatCompletionToolParam]) -> list[ChatCompletionToolParam]:
    """Copies of ``tools`` whose free-text strings carry ``maxLength``: a server that holds the
    model to the schema by grammar (llama.cpp) then cannot let it run on inside one string
    until ``max_tokens``. OpenAI's strict mode refuses the keyword, so only the local-server
    modes (tool_choice named and none) send it."""
    copies = copy.deepcopy(list(tools))
    for tool in copies:
        _bound_strings(tool["function"].get("parameters"))
    return copies


def action_tools(pre: Precheck, playbook_ids: Iterable[str]) -> list[ChatCompletionToolParam]:
    """The action tools this customer may be offered now, narrowed by the pre-check."""
    ids = list(playbook_ids)
    offered = []
    for action, call_type in CATALOG.items():
        args = _narrowed_args(action, pre)
        if args is None:
            continue
        spec = call_type.spec
        offered.append(_function(action.value, spec.description, _action_parameters(args, ids)))
    return offered


def read_only_tools() -> list[ChatCompletionToolParam]:
    """search_playbooks, fetch_events, fetch_case: information, never an action."""
    tools: list[ChatCompletionToolParam] = json.loads(_read_only_json())  # a fresh copy
    return tools


@cache
def _read_only_json() -> str:
    return json.dumps(
        [
            _function(name, (model.__doc__ or name).strip(), strict_schema(model))
            for name, model in READ_ONLY_TOOLS.items()
        ]
    )

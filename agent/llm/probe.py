"""Which tool_choice mode a server supports, found by asking it: ``nextbest llm probe``.

Servers differ. OpenAI, vLLM and Ollama honour ``tool_choice: "required"``; llama-cpp-python's
function-calling format answers it with a 500 and calls a tool only when the request names it;
llama.cpp's ``llama-server`` may let the model write prose whatever is asked, but constrains an
answer to a JSON schema. The probe sends one tiny request per mode, with a tool whose right
call is obvious, and keeps the modes whose answer was that call. It recommends the first that
worked, in the order required, named, auto, none: the earlier ones give the model the most
room. The result is cached per endpoint and model in the data directory, and
``NEXTBEST_LLM_TOOL_CHOICE=probe`` uses it (probing once at start-up when nothing is cached);
every LLM call of a decision records the mode it used and when the probe chose it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.config import JsonForm, LLMConfig, ToolChoiceMode
from agent.llm.client import LLMClient
from agent.llm.errors import LLMError, LLMErrorCode
from agent.llm.models import ChatResult
from agent.planner.llm_json import calls_from_json, response_format

__all__ = [
    "CACHE_FILE",
    "ModeResult",
    "ProbeResult",
    "cached_probe",
    "probe",
    "probed",
    "save_probe",
    "with_probed_choice",
]

_log = logging.getLogger("nextbest.llm")

CACHE_FILE = "llm-probe.json"
MODES: tuple[ToolChoiceMode, ...] = ("required", "named", "auto", "none")
"""Every mode, in the order of preference: the model's room to choose, then its reliability
(a named call is held to one tool's schema; auto lets a small model drift into prose)."""
JSON_FORMS: tuple[JsonForm, ...] = get_args(JsonForm)
_PROBE_TIMEOUT_S = 60.0
"""One probe request: a small local model on a CPU takes seconds to read even a short prompt."""
_UNREACHABLE = {LLMErrorCode.CONNECTION, LLMErrorCode.TIMEOUT, LLMErrorCode.DEADLINE}

_COLOURS = ["red", "green", "blue"]
_TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "pick_colour",
            "description": "Pick the colour the user asked for.",
            "parameters": {
                "type": "object",
                "properties": {"colour": {"type": "string", "enum": _COLOURS}},
                "required": ["colour"],
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "do_nothing",
            "description": "Do nothing.",
            "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
        },
    },
]
_MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You act only by calling the tools you are given."},
    {"role": "user", "content": "Pick the colour green."},
]


class ModeResult(BaseModel):
    """How one mode fared: worked, or what came back instead."""

    model_config = ConfigDict(frozen=True)

    mode: ToolChoiceMode
    ok: bool = Field(description="The answer was a valid pick_colour call.")
    detail: str = Field(description='e.g. "pick_colour(green)", "server_error: 500 ...".')
    error: LLMErrorCode | None = Field(default=None, description="Why the call failed, if it did.")
    json_form: JsonForm | None = Field(
        default=None, description="Mode none: the response_format form that worked."
    )
    latency_ms: float = Field(description="The whole call, in milliseconds.")


class ProbeResult(BaseModel):
    """One probe of one endpoint and model."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    model: str
    probed_at: datetime
    modes: list[ModeResult]

    @property
    def recommended(self) -> ToolChoiceMode | None:
        """The first mode that worked, in the order of preference; None when none did."""
        return next((m.mode for m in self.modes if m.ok), None)

    @property
    def json_form(self) -> JsonForm:
        """The response_format form a JSON plan should use (json_schema unless only the other
        one worked)."""
        return next((m.json_form for m in self.modes if m.ok and m.json_form), "json_schema")

    @property
    def reachable(self) -> bool:
        """Whether the server answered at all (an unreachable one is not worth caching)."""
        return any(m.error not in _UNREACHABLE for m in self.modes)


def _picked(result: ChatResult, mode: ToolChoiceMode) -> str | None:
    """``pick_colour(<colour>)`` when the answer is a valid pick, else None."""
    if mode == "none":
        result = calls_from_json(result)  # as the planner reads a JSON plan
    for call in result.tool_calls:
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError:
            continue
        colour = arguments.get("colour") if isinstance(arguments, dict) else None
        if call.name == "pick_colour" and colour in _COLOURS:
            return f"pick_colour({colour})"
    return None


def _answered(result: ChatResult) -> str:
    if result.tool_calls:
        return "called " + ", ".join(f"{c.name}({c.arguments[:40]})" for c in result.tool_calls)
    text = " ".join((result.content or result.refusal or "").split())
    return f"answered in text: {text[:80]!r}"


async def _try(client: LLMClient, mode: ToolChoiceMode, form: JsonForm | None = None) -> ModeResult:
    started = time.monotonic()
    tools: Sequence[ChatCompletionToolParam] | None = _TOOLS
    choice: str = mode
    fmt = None
    if mode == "named":
        choice = "pick_colour"
        tools = _TOOLS[:1]  # llama-cpp-python offers the named tool alone, as the planner does
    elif form is not None:
        tools, fmt = None, response_format(_TOOLS, form)
    try:
        result = await client.chat(
            _MESSAGES,
            tools=tools,
            tool_choice=choice,
            deadline=time.monotonic() + _PROBE_TIMEOUT_S,
            max_tokens=120,
            purpose=f"probe-{mode}",
            response_format=fmt,
        )
    except LLMError as exc:
        said = " ".join(filter(None, [str(exc.status or ""), exc.error_type, exc.server_message]))
        detail = f"{exc.code.value}: {said or exc}"[:200]
        return ModeResult(
            mode=mode,
            ok=False,
            detail=detail,
            error=exc.code,
            json_form=form,
            latency_ms=_ms(started),
        )
    picked = _picked(result, mode)
    return ModeResult(
        mode=mode,
        ok=picked is not None,
        detail=f"{picked or _answered(result)}" + (f" ({form})" if form else ""),
        json_form=form,
        latency_ms=_ms(started),
    )


async def _try_json(client: LLMClient) -> ModeResult:
    """Mode none in the standard form, else in the other (llama-cpp-python's)."""
    for form in JSON_FORMS:
        result = await _try(client, "none", form)
        if result.ok:
            break
    return result


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


async def probe(config: LLMConfig) -> ProbeResult:
    """Try every mode once against the configured endpoint (one attempt each: a mode that
    fails is the answer, not something to retry)."""
    once = config.model_copy(update={"max_attempts": 1, "timeout_s": _PROBE_TIMEOUT_S})
    client = LLMClient(once)
    try:
        modes = [
            await (_try_json(client) if mode == "none" else _try(client, mode)) for mode in MODES
        ]
    finally:
        await client.aclose()
    return ProbeResult(
        base_url=config.base_url, model=config.model, probed_at=datetime.now(UTC), modes=modes
    )


def _key(config: LLMConfig) -> str:
    return f"{config.base_url.rstrip('/')} {config.model}"


def _load(path: Path) -> dict[str, ProbeResult]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {k: ProbeResult.model_validate(v) for k, v in raw.items()}
    except (OSError, ValueError, ValidationError, AttributeError):
        return {}  # no cache yet, or one from another version: probe again


def cached_probe(config: LLMConfig, data_dir: Path) -> ProbeResult | None:
    """The last probe of this endpoint and model, if one is cached."""
    return _load(data_dir / CACHE_FILE).get(_key(config))


def save_probe(result: ProbeResult, config: LLMConfig, data_dir: Path) -> None:
    path = data_dir / CACHE_FILE
    cache = _load(path)
    cache[_key(config)] = result
    data = {k: v.model_dump(mode="json") for k, v in cache.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    temporary.replace(path)


def probed(config: LLMConfig, data_dir: Path, *, refresh: bool = False) -> tuple[ProbeResult, bool]:
    """The cached probe of this server and model, or (none cached, or ``refresh``) a new one,
    cached when the server answered; and whether it came from the cache."""
    result = None if refresh else cached_probe(config, data_dir)
    if result is not None:
        return result, True
    with ThreadPoolExecutor(1) as pool:  # the caller may be inside an event loop
        result = pool.submit(asyncio.run, probe(config)).result()
    if result.reachable:
        save_probe(result, config, data_dir)
    return result, False


def with_probed_choice(config: LLMConfig, data_dir: Path) -> LLMConfig:
    """``config`` with tool_choice ``probe`` replaced by the mode the probe recommends
    (``probed``). A server that supports no mode, or cannot be reached, gets ``required``
    and a warning."""
    if config.tool_choice != "probe":
        return config
    result, _ = probed(config, data_dir)
    mode = result.recommended
    if mode is None:
        _log.warning(
            "no tool_choice mode worked against %s (%s); using required",
            config.base_url,
            "; ".join(f"{m.mode}: {m.detail}" for m in result.modes),
        )
        return config.model_copy(update={"tool_choice": "required"})
    _log.info("tool_choice %s, as probed at %s", mode, result.probed_at.isoformat())
    update = {"tool_choice": mode, "probed_at": result.probed_at, "json_form": result.json_form}
    return config.model_copy(update=update)

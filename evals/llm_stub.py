"""A local OpenAI-compatible chat-completions server for benchmarks and LLM-mode plumbing tests.

``LLMStub`` runs a real HTTP server (Starlette under uvicorn, in a background thread, on a free
port of 127.0.0.1) that answers ``POST /v1/chat/completions``. Each answer waits ``delay_s``
with ``asyncio.sleep``, so concurrent requests overlap as they would against a hosted model.

What it answers comes from a *script*: a list of ``StubReply`` handed out in order, or a callable
that picks one per request. Without a script it plays a minimal planner: one tool call to
``no_action`` (or else the first tool offered) with the smallest arguments its JSON schema
allows; and, when no tools are offered, a one-sentence narrative that cites the first fact it
was given::

    with LLMStub(delay_s=0.3) as stub:
        config = LLMConfig(base_url=stub.base_url, model="stub", api_key=SecretStr("x"))
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import Self

import uvicorn
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = [
    "LLMStub",
    "Script",
    "StubReply",
    "StubRequest",
    "StubToolCall",
    "minimal_value",
    "planner_reply",
]

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
_STOP_GRACE_S = 1  # whole seconds: uvicorn takes an int
_FIRST_FACT = re.compile(r"^\[(f\d+)\] (.+)$", re.MULTILINE)
_STRING_CANDIDATES = ("stub", "STB", "stub_1", "x", "X", "1")
_DATE_TIME = "2030-01-01T09:00:00Z"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class StubToolCall(_Frozen):
    name: str
    arguments: dict[str, JsonValue] | str = Field(
        default_factory=dict, description="JSON object, or raw text to send invalid JSON."
    )


class StubReply(_Frozen):
    """One scripted answer: text, tool calls or a refusal; or an HTTP error (``status``)."""

    content: str | None = None
    tool_calls: list[StubToolCall] = Field(default_factory=list)
    refusal: str | None = None
    status: int = Field(default=200, ge=200, le=599)
    headers: dict[str, str] = Field(default_factory=dict, description="e.g. retry-after.")
    delay_s: float | None = Field(default=None, ge=0, description="None: the stub's delay.")
    break_after: int | None = Field(
        default=None, ge=0, description="Streamed: drop the connection after this many words."
    )


class StubRequest(BaseModel):
    """The part of a chat-completions request the stub reads; the rest is kept as sent."""

    model_config = ConfigDict(frozen=True, extra="allow")

    model: str
    messages: list[dict[str, JsonValue]]
    tools: list[dict[str, JsonValue]] = Field(default_factory=list)
    tool_choice: JsonValue = None
    response_format: JsonValue = None
    stream: bool = False

    @property
    def json_schema(self) -> dict[str, JsonValue] | None:
        """The schema the response format asks the answer to fit, if any: ``json_schema``'s,
        or the ``schema`` beside ``json_object`` (llama-cpp-python's form)."""
        fmt = self.response_format
        if not isinstance(fmt, dict):
            return None
        spec = fmt.get("json_schema") if fmt.get("type") == "json_schema" else fmt
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if isinstance(schema, dict) else None


Script = Callable[[StubRequest], StubReply] | Sequence[StubReply]


def _resolve(schema: dict[str, JsonValue], root: dict[str, JsonValue]) -> dict[str, JsonValue]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: JsonValue = root
    for key in ref[2:].split("/"):
        node = node[key] if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _minimal_string(schema: dict[str, JsonValue]) -> str:
    if schema.get("format") == "date-time":
        return _DATE_TIME
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        return next((c for c in _STRING_CANDIDATES if re.search(pattern, c)), "stub")
    return "stub"


def _minimal_number(schema: dict[str, JsonValue], integer: bool) -> int | float:
    low = schema.get("minimum")
    above = schema.get("exclusiveMinimum")
    if isinstance(above, int | float):
        value: float = above + 1
    elif isinstance(low, int | float):
        value = low
    else:
        value = 0
    high = schema.get("maximum")
    if isinstance(high, int | float):
        value = min(value, high)
    return int(value) if integer else value


def minimal_value(
    schema: dict[str, JsonValue], root: dict[str, JsonValue] | None = None
) -> JsonValue:
    """The smallest value a JSON schema accepts: null where allowed, the first enum value,
    the minimum number, a short string that fits the pattern, required properties only."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list) and options:
        schemas = [o for o in options if isinstance(o, dict)]
        if any(o.get("type") == "null" for o in schemas):
            return None
        return minimal_value(schemas[0], root) if schemas else None
    kind = schema.get("type")
    if isinstance(kind, list):
        if "null" in kind:
            return None
        kind = kind[0] if kind else None
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties")
        required = schema.get("required")
        if not isinstance(properties, dict) or not isinstance(required, list):
            return {}
        return {
            name: minimal_value(sub, root)
            for name, sub in properties.items()
            if name in required and isinstance(sub, dict)
        }
    if kind == "array":
        items = schema.get("items")
        count = schema.get("minItems")
        item = minimal_value(items, root) if isinstance(items, dict) else None
        return [item] * (count if isinstance(count, int) else 0)
    if kind in ("integer", "number"):
        return _minimal_number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "string":
        return _minimal_string(schema)
    return None


def _function(tool: dict[str, JsonValue]) -> dict[str, JsonValue]:
    function = tool.get("function")
    return function if isinstance(function, dict) else {}


def _json_plan(schema: dict[str, JsonValue]) -> str:
    """A JSON plan of one call: ``no_action`` where the schema admits it, else its first tool."""
    calls = schema.get("properties", {})
    items = calls.get("calls", {}) if isinstance(calls, dict) else {}
    options = items.get("items", {}) if isinstance(items, dict) else {}
    variants = options.get("anyOf", []) if isinstance(options, dict) else []
    tools = [v for v in variants if isinstance(v, dict)] if isinstance(variants, list) else []

    chosen = next((v for v in tools if _tool_name(v) == "no_action"), tools[0] if tools else {})
    return json.dumps({"calls": [minimal_value(chosen)] if chosen else []})


def _tool_name(variant: dict[str, JsonValue]) -> JsonValue:
    properties = variant.get("properties")
    tool = properties.get("tool") if isinstance(properties, dict) else None
    return minimal_value(tool) if isinstance(tool, dict) else None


def planner_reply(request: StubRequest) -> StubReply:
    """The default answer: call ``no_action`` (or the first tool) with minimal arguments (as a
    JSON plan when a ``json_schema`` response format is asked for); with no tools, one sentence
    citing the first ``[fN] text`` line of the last user message."""
    if request.json_schema is not None:
        return StubReply(content=_json_plan(request.json_schema))
    functions = [f for f in map(_function, request.tools) if isinstance(f.get("name"), str)]
    if functions and request.tool_choice != "none":
        chosen = next((f for f in functions if f["name"] == "no_action"), functions[0])
        parameters = chosen.get("parameters")
        arguments = minimal_value(parameters) if isinstance(parameters, dict) else {}
        return StubReply(
            tool_calls=[
                StubToolCall(
                    name=str(chosen["name"]),
                    arguments=arguments if isinstance(arguments, dict) else {},
                )
            ]
        )
    user = [m.get("content") for m in request.messages if m.get("role") == "user"]
    fact = _FIRST_FACT.search(user[-1]) if user and isinstance(user[-1], str) else None
    return StubReply(content=f"{fact[2]} [{fact[1]}]." if fact else "OK.")


def _completion(number: int, request: StubRequest, reply: StubReply) -> dict[str, JsonValue]:
    calls: list[JsonValue] = [
        {
            "id": f"call_{number}_{i}",
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": call.arguments
                if isinstance(call.arguments, str)
                else json.dumps(call.arguments),
            },
        }
        for i, call in enumerate(reply.tool_calls)
    ]
    message: dict[str, JsonValue] = {
        "role": "assistant",
        "content": reply.content,
        "refusal": reply.refusal,
    }
    if calls:
        message["tool_calls"] = calls
    return {
        "id": f"chatcmpl-stub-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


class LLMStub:
    """An OpenAI-compatible server on 127.0.0.1 for the length of a ``with`` block."""

    def __init__(self, *, delay_s: float = 0.0, script: Script | None = None) -> None:
        self._delay_s = delay_s
        self._script = script
        self._lock = threading.Lock()
        self._requests: list[StubRequest] = []
        self._in_flight = 0
        self._peak_in_flight = 0
        self._answered = 0
        self._abandoned = 0
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=_STOP_GRACE_S,  # then cancel answers still sleeping
        )
        self._server = uvicorn.Server(config)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """e.g. ``http://127.0.0.1:53817/v1``: what ``NEXTBEST_LLM_BASE_URL`` would hold."""
        if self._socket is None:
            raise RuntimeError("the stub is not running; use it in a with block")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}/v1"

    @property
    def requests(self) -> list[StubRequest]:
        """The requests received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def peak_in_flight(self) -> int:
        """The most requests that were waiting for their answer at the same time."""
        with self._lock:
            return self._peak_in_flight

    @property
    def answered(self) -> int:
        """How many answers were sent (a request whose client gave up first is not one)."""
        with self._lock:
            return self._answered

    @property
    def abandoned(self) -> int:
        """Streamed answers the client stopped reading before the end (the stub then stops
        writing, as a server that notices the closed connection stops generating)."""
        with self._lock:
            return self._abandoned

    def _next_reply(self, number: int, request: StubRequest) -> StubReply:
        if self._script is None:
            return planner_reply(request)
        if callable(self._script):
            return self._script(request)
        if number > len(self._script):
            return StubReply(status=500, content=f"script exhausted after {len(self._script)}")
        return self._script[number - 1]

    async def _stream(
        self, number: int, request: StubRequest, reply: StubReply, delay_s: float
    ) -> AsyncIterator[str]:
        """The reply's text as server-sent chunks, a word at a time, spread over ``delay_s``."""
        words = (reply.content or "").split(" ")
        finished = False
        try:
            for index, word in enumerate(words):
                if index == reply.break_after:
                    raise ConnectionAbortedError("the stub drops the connection, as scripted")
                await asyncio.sleep(delay_s / len(words))
                delta = {"role": "assistant", "content": word if index == 0 else f" {word}"}
                chunk = {
                    "id": f"chatcmpl-stub-{number}",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": request.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                yield f"data: {json.dumps(chunk)}\n\n"
            end = {"index": 0, "delta": {}, "finish_reason": "stop"}
            last = {
                "id": f"chatcmpl-stub-{number}",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": request.model,
                "choices": [end],
            }
            yield f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n"
            finished = True
        finally:
            with self._lock:
                self._in_flight -= 1
                if finished:
                    self._answered += 1
                else:
                    self._abandoned += 1

    async def _chat(self, http_request: Request) -> Response:
        try:
            request = StubRequest.model_validate(await http_request.json())
        except (ValidationError, ValueError) as exc:
            return JSONResponse({"error": {"message": str(exc)}}, status_code=400)
        with self._lock:
            self._requests.append(request)
            number = len(self._requests)
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        reply = self._next_reply(number, request)
        delay_s = self._delay_s if reply.delay_s is None else reply.delay_s
        if request.stream and reply.status == 200:
            chunks = self._stream(number, request, reply, delay_s)
            return StreamingResponse(chunks, media_type="text/event-stream")
        try:
            await asyncio.sleep(delay_s)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            self._answered += 1
        if reply.status != 200:
            error = {"message": reply.content or f"stub error {reply.status}", "type": "stub"}
            return JSONResponse({"error": error}, status_code=reply.status, headers=reply.headers)
        return JSONResponse(_completion(number, request, reply), headers=reply.headers)

    def __enter__(self) -> Self:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        started = time.monotonic()
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() - started > _START_TIMEOUT_S:
                self.__exit__(None, None, None)
                raise RuntimeError("the LLM stub server did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT_S)
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def main() -> None:
    """``python -m evals.llm_stub [--delay S]``: serve until stdin closes; the first line out is
    the base URL. Benchmarks run the stub in its own process, so its work is not theirs."""
    parser = argparse.ArgumentParser(description="A local OpenAI-compatible stub server.")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    with LLMStub(delay_s=args.delay) as stub:
        print(stub.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()

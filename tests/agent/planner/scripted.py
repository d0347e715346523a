"""A scripted model for respx: it answers ``POST /chat/completions`` turn by turn.

A turn may read the request (the messages and the tools offered) before answering, so tests can
check what the model saw, and obey what it was told (prompt-injection tests).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from agent.record import DecideRequest, DecisionRecordV1
from agent.service import Decider

BASE_URL = "http://llm.test/v1"
Body = dict[str, Any]
Turn = (
    httpx.Response | Callable[[Body], httpx.Response] | Callable[[Body], Awaitable[httpx.Response]]
)


def completion(message: dict[str, Any], *, finish: str = "tool_calls") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted-1",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        },
    )


def raw_calls(*calls: tuple[str, str]) -> httpx.Response:
    """Tool calls with their arguments exactly as given (for malformed JSON)."""
    tool_calls = [
        {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
        for i, (name, args) in enumerate(calls, start=1)
    ]
    return completion({"role": "assistant", "content": None, "tool_calls": tool_calls})


def action(
    name: str, args: dict[str, Any], *, playbook_id: str | None = None, rationale: str = "fits"
) -> tuple[str, str]:
    envelope = {"playbook_id": playbook_id, "rationale": rationale, "args": args}
    return name, json.dumps(envelope)


def calls(*made: tuple[str, str]) -> httpx.Response:
    return raw_calls(*made)


def refusal(text: str) -> httpx.Response:
    return completion({"role": "assistant", "content": None, "refusal": text}, finish="stop")


def no_action(reason: str = "nothing helps now") -> httpx.Response:
    return calls(action("no_action", {"reason": reason}))


class ScriptedModel:
    """Answers each request with the next turn; records every request body it was sent."""

    def __init__(self, *turns: Turn) -> None:
        self.turns = list(turns)
        self.requests: list[Body] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body: Body = json.loads(request.content)
        self.requests.append(body)
        if not self.turns:
            raise AssertionError("the scripted model was asked more often than scripted")
        turn = self.turns.pop(0)
        if isinstance(turn, httpx.Response):
            return turn
        answer = turn(body)
        return await answer if isinstance(answer, Awaitable) else answer

    def tools(self, index: int = 0) -> dict[str, Body]:
        """The tools offered in request ``index``, by name."""
        return {t["function"]["name"]: t["function"] for t in self.requests[index].get("tools", [])}


async def decide(decider: Decider, request: DecideRequest) -> DecisionRecordV1:
    return (await decider.decide(request)).record


def request(customer_id: str, **overrides: Any) -> DecideRequest:
    """An inline gold customer with e-mail consents, on an outbound trigger, unless overridden."""
    profile: dict[str, Any] = {
        "customer_id": customer_id,
        "name": "Ada Example",
        "identities": [{"kind": "email", "value": "ada@example.com"}],
        "tier": "gold",
        "customer_since": "2019-03-01",
        "timezone": "Europe/Berlin",
        "preferred_channel": "email",
        "consents": [
            {"channel": "email", "purpose": "service", "granted": True},
            {"channel": "email", "purpose": "marketing", "granted": True},
        ],
    }
    profile.update(overrides.pop("profile", {}))
    return DecideRequest.model_validate({"profile": profile, **overrides})


class Sleeps:
    """The LLM client's sleep: records each wait and yields without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


LLMDecider = Callable[..., Decider]
"""Builds a Decider over the shared stores whose LLM is configured by keyword (LLMConfig)."""

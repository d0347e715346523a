"""The LLM stub over real HTTP: concurrent requests overlap, and LLMClient talks to it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import JsonValue, SecretStr

from agent.config import LLMConfig
from agent.llm import LLMClient, LLMError, LLMErrorCode
from agent.planner.llm_json import calls_from_json, response_format
from evals.llm_stub import LLMStub, StubReply, StubRequest, StubToolCall, minimal_value

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "decide"}]
HOLD: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "hold_outreach",
        "parameters": {
            "type": "object",
            "properties": {"hours": {"type": "integer", "minimum": 1, "maximum": 2160}},
            "required": ["hours"],
        },
    },
}
NO_ACTION: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "no_action",
        "parameters": {
            "type": "object",
            "properties": {
                "playbook_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "rationale": {"type": "string"},
                "args": {
                    "type": "object",
                    "properties": {"reason": {"type": "string"}},
                    "required": ["reason"],
                },
            },
            "required": ["playbook_id", "rationale", "args"],
        },
    },
}


def client_for(stub: LLMStub, **overrides: float) -> LLMClient:
    config = LLMConfig(
        base_url=stub.base_url, model="stub-model", api_key=SecretStr("x"), **overrides
    )
    return LLMClient(config)


@pytest.fixture
def stub() -> Iterator[LLMStub]:
    with LLMStub(delay_s=0.3) as running:
        yield running


@pytest.fixture
async def client(stub: LLMStub) -> AsyncIterator[LLMClient]:
    llm = client_for(stub)
    yield llm
    await llm.aclose()


async def test_concurrent_requests_overlap(stub: LLMStub, client: LLMClient) -> None:
    results = await asyncio.gather(
        *(client.chat(MESSAGES, tools=[HOLD], deadline=time.monotonic() + 5) for _ in range(20))
    )

    # the twenty 0.3 s answers waited side by side, not one by one
    assert stub.peak_in_flight > 1
    assert len(stub.requests) == stub.answered == 20
    assert {r.tool_calls[0].arguments for r in results} == {'{"hours": 1}'}


async def test_default_planner_prefers_no_action_with_minimal_arguments(
    stub: LLMStub, client: LLMClient
) -> None:
    result = await client.chat(MESSAGES, tools=[HOLD, NO_ACTION], deadline=time.monotonic() + 5)

    (call,) = result.tool_calls
    assert call.name == "no_action"
    assert json.loads(call.arguments) == {
        "playbook_id": None,
        "rationale": "stub",
        "args": {"reason": "stub"},
    }
    assert result.finish_reason == "tool_calls"
    assert result.model == "stub-model"
    assert stub.requests[0].tools[1]["function"] == NO_ACTION["function"]


async def test_asked_for_a_json_plan_the_stub_writes_one_no_action_call(
    stub: LLMStub, client: LLMClient
) -> None:
    result = await client.chat(
        MESSAGES, deadline=time.monotonic() + 5, response_format=response_format([HOLD, NO_ACTION])
    )

    [call] = calls_from_json(result).tool_calls
    assert (call.id, call.name) == ("json_1", "no_action")
    assert json.loads(call.arguments)["args"] == {"reason": "stub"}
    assert stub.requests[0].json_schema is not None
    assert not stub.requests[0].tools


async def test_a_streamed_answer_is_read_whole() -> None:
    words = "Their card payment failed at checkout [f4]."
    with LLMStub(script=[StubReply(content=words)], delay_s=0.05) as stub:
        client = client_for(stub)
        result = await client.chat(MESSAGES, deadline=time.monotonic() + 5, stream=True)
        await client.aclose()

    assert (result.content, result.finish_reason, result.model) == (words, "stop", "stub-model")
    assert stub.requests[0].stream
    assert (stub.answered, stub.abandoned) == (1, 0)


async def test_a_stream_out_of_time_is_closed_and_the_server_stops_writing() -> None:
    long_answer = StubReply(content=" ".join(["word"] * 200), delay_s=30)
    with LLMStub(script=[long_answer]) as stub:
        client = client_for(stub)
        with pytest.raises(LLMError) as late:
            await client.chat(MESSAGES, deadline=time.monotonic() + 0.3, stream=True)
        for _ in range(500):  # the server notices the closed connection within moments
            if stub.abandoned:
                break
            await asyncio.sleep(0.01)
        await client.aclose()

    assert late.value.code is LLMErrorCode.DEADLINE
    assert (stub.answered, stub.abandoned) == (0, 1)


async def test_a_stream_that_breaks_off_is_an_llm_error_not_a_crash() -> None:
    dropped = StubReply(content="Their card payment failed at checkout [f4].", break_after=3)
    with LLMStub(script=[dropped]) as stub:
        client = client_for(stub, max_attempts=1)
        with pytest.raises(LLMError) as caught:
            await client.chat(MESSAGES, deadline=time.monotonic() + 5, stream=True)
        await client.aclose()

    assert caught.value.code is LLMErrorCode.CONNECTION
    assert (stub.answered, stub.abandoned) == (0, 1)


async def test_without_tools_the_stub_cites_the_first_fact(client: LLMClient) -> None:
    facts: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "<facts>\n[f1] tier gold\n[f2] last NPS 3\n</facts>"}
    ]

    result = await client.chat(facts, deadline=time.monotonic() + 5)

    assert result.content == "tier gold [f1]."


async def test_a_server_slower_than_the_deadline_fails_by_the_deadline() -> None:
    with LLMStub(delay_s=5.0) as stub:
        client = client_for(stub, timeout_s=10.0)
        with pytest.raises(LLMError) as caught:
            await client.chat(MESSAGES, deadline=time.monotonic() + 0.5)
        answered = stub.answered  # the client gave up before the 5 s answer came
        await client.aclose()

    assert caught.value.code is LLMErrorCode.DEADLINE
    assert (len(stub.requests), answered) == (1, 0)


async def test_a_scripted_rate_limit_is_retried_by_the_client() -> None:
    script = [
        StubReply(status=429, headers={"retry-after-ms": "10"}),
        StubReply(tool_calls=[StubToolCall(name="hold_outreach", arguments={"hours": 24})]),
    ]
    with LLMStub(script=script) as stub:
        client = client_for(stub)
        result = await client.chat(MESSAGES, tools=[HOLD], deadline=time.monotonic() + 5)
        with pytest.raises(LLMError) as exhausted:
            await client.chat(MESSAGES, deadline=time.monotonic() + 5)
        await client.aclose()

    assert result.attempts == 2
    assert result.tool_calls[0].arguments == '{"hours": 24}'
    assert exhausted.value.code is LLMErrorCode.SERVER_ERROR  # the script ran out


async def test_a_callable_script_sees_each_request() -> None:
    def script(request: StubRequest) -> StubReply:
        return StubReply(content=f"{len(request.messages)} messages to {request.model}")

    with LLMStub(script=script) as stub:
        client = client_for(stub)
        result = await client.chat(MESSAGES * 2, deadline=time.monotonic() + 5)
        await client.aclose()

    assert result.content == "2 messages to stub-model"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param({"type": "string", "enum": ["email", "sms"]}, "email", id="enum"),
        pytest.param({"type": "string", "pattern": "^[A-Z]{3}$"}, "STB", id="pattern"),
        pytest.param(
            {"type": "string", "format": "date-time"}, "2030-01-01T09:00:00Z", id="date-time"
        ),
        pytest.param({"type": "number", "exclusiveMinimum": 0}, 1, id="exclusive-minimum"),
        pytest.param({"type": ["integer", "null"]}, None, id="nullable-type-list"),
        pytest.param(
            {"type": "array", "items": {"type": "boolean"}, "minItems": 2},
            [False, False],
            id="array-min-items",
        ),
        pytest.param(
            {
                "$defs": {"Kind": {"type": "string", "enum": ["a"]}},
                "type": "object",
                "properties": {"kind": {"$ref": "#/$defs/Kind"}, "note": {"type": "string"}},
                "required": ["kind"],
            },
            {"kind": "a"},
            id="ref-and-optional-property",
        ),
    ],
)
def test_minimal_value(schema: dict[str, JsonValue], expected: JsonValue) -> None:
    assert minimal_value(schema) == expected

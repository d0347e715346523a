"""LLMClient through the real openai SDK over respx-mocked HTTP; real network is blocked.

The clock is pinned and ``sleep`` records the wait and moves the clock on, so retry timing is
asserted exactly and no test waits for real.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from pydantic import SecretStr

from agent.config import LLMConfig
from agent.llm import CircuitBreaker, LLMClient, LLMError, LLMErrorCode
from evals.llm_stub import LLMStub, StubReply


def state(breaker: CircuitBreaker) -> str:
    """The breaker's state, read fresh (mypy would keep a property narrowed across calls)."""
    return breaker.state


BASE = "http://llm.test/v1"
URL = f"{BASE}/chat/completions"
KEY = "sk-secret-test-key"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "next best action?"}]
TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "no_action",
            "description": "Do nothing.",
            "parameters": {"type": "object", "properties": {"reason": {"type": "string"}}},
        },
    }
]


class FakeClock:
    """Monotonic seconds that move only when told to, or when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def completion(message: dict[str, Any], *, finish_reason: str = "stop") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "test-model-2025",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", **message},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        },
    )


TEXT_OK = completion({"content": "hello"})


def error(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"message": "nope"}})


def config(**overrides: Any) -> LLMConfig:
    values: dict[str, Any] = {
        "base_url": BASE,
        "model": "test-model",
        "api_key": SecretStr(KEY),
        "max_attempts": 3,
        "retry_after_cap_s": 5.0,
    }
    return LLMConfig(**(values | overrides))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def router() -> AsyncIterator[respx.MockRouter]:
    async with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


def make_client(clock: FakeClock, **overrides: Any) -> LLMClient:
    return LLMClient(config(**overrides), clock=clock, sleep=clock.sleep)


async def test_tool_call_is_returned_with_usage_and_sent_on_the_common_surface(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "no_action", "arguments": '{"reason": "quiet"}'},
    }
    route = router.post(URL).mock(
        return_value=completion({"content": None, "tool_calls": [call]}, finish_reason="tool_calls")
    )
    client = make_client(clock)

    result = await client.chat(MESSAGES, tools=TOOLS, tool_choice="required", deadline=clock() + 5)

    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_1", "no_action", '{"reason": "quiet"}')
    ]
    assert result.content is None
    assert result.refusal is None
    assert result.finish_reason == "tool_calls"
    assert result.model == "test-model-2025"
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (12, 17)
    assert result.attempts == 1
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert body == {
        "model": "test-model",
        "messages": MESSAGES,
        "tools": TOOLS,
        "tool_choice": "required",
        "temperature": 0.0,
    }
    assert state(client.breaker("plan")) == "closed"
    await client.aclose()


async def test_without_tools_no_tool_fields_are_sent(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(URL).mock(return_value=TEXT_OK)

    result = await make_client(clock).chat(MESSAGES, deadline=clock() + 5, max_tokens=64)

    assert result.content == "hello"
    body = json.loads(route.calls.last.request.content)
    assert "tools" not in body
    assert "tool_choice" not in body
    assert body["max_tokens"] == 64


async def test_the_client_learns_the_servers_characters_per_token(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    def counted(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        prompt = json.dumps(
            {"messages": body["messages"], "tools": body.get("tools", [])},
            separators=(",", ":"),
        )
        answer = json.loads(TEXT_OK.content)
        answer["usage"]["prompt_tokens"] = len(prompt) // 2  # two characters a token
        return httpx.Response(200, json=answer)

    router.post(URL).mock(side_effect=counted)
    client = make_client(clock)
    before = client.chars_per_token

    await client.chat(MESSAGES, tools=TOOLS, deadline=clock() + 5)

    assert before == 3.0  # the cautious default, until the server has counted
    assert client.chars_per_token == pytest.approx(2.0, abs=0.05)
    await client.aclose()


@pytest.mark.parametrize(
    ("headers", "expected_sleep"),
    [
        pytest.param({"retry-after": "2"}, 2.0, id="retry-after-seconds"),
        pytest.param({"retry-after-ms": "1500"}, 1.5, id="retry-after-ms"),
        pytest.param({"retry-after": "120"}, 5.0, id="retry-after-capped"),
        pytest.param({"retry-after-ms": "90000"}, 5.0, id="retry-after-ms-capped"),
    ],
)
async def test_429_honours_retry_after(
    router: respx.MockRouter, clock: FakeClock, headers: dict[str, str], expected_sleep: float
) -> None:
    router.post(URL).mock(side_effect=[error(429, headers), TEXT_OK])

    result = await make_client(clock).chat(MESSAGES, deadline=clock() + 8)

    assert clock.sleeps == [expected_sleep]
    assert result.attempts == 2


async def test_429_honours_retry_after_as_an_http_date(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    router.post(URL).mock(side_effect=[error(429, {"retry-after": when}), TEXT_OK])

    await make_client(clock).chat(MESSAGES, deadline=clock() + 8)

    assert clock.sleeps == [pytest.approx(3.0, abs=1.1)]  # the header has whole seconds


async def test_retry_after_beyond_the_deadline_fails_at_once_without_sleeping(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(URL).mock(return_value=error(429, {"retry-after": "4"}))

    with pytest.raises(LLMError) as caught:
        await make_client(clock).chat(MESSAGES, deadline=clock() + 3)

    assert caught.value.code is LLMErrorCode.DEADLINE
    assert clock.sleeps == []
    assert route.call_count == 1


async def test_server_errors_are_retried_with_backoff_until_success(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(URL).mock(side_effect=[error(500), error(502), error(503), TEXT_OK])

    result = await make_client(clock, max_attempts=4).chat(MESSAGES, deadline=clock() + 8)

    assert result.attempts == 4
    assert route.call_count == 4
    assert len(clock.sleeps) == 3
    for n, slept in enumerate(clock.sleeps):  # 0.25 * 2**n, plus up to 0.25 of jitter
        assert 0.25 * 2**n <= slept <= 0.25 * 2**n + 0.25
    assert result.latency_ms == pytest.approx(sum(clock.sleeps) * 1000)


async def test_server_errors_beyond_max_attempts_raise(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(URL).mock(side_effect=[error(500), error(500), error(500), TEXT_OK])

    with pytest.raises(LLMError) as caught:
        await make_client(clock, max_attempts=3).chat(MESSAGES, deadline=clock() + 8)

    assert caught.value.code is LLMErrorCode.SERVER_ERROR
    assert caught.value.status == 500
    assert route.call_count == caught.value.attempts == 3
    assert caught.value.latency_ms == pytest.approx(sum(clock.sleeps) * 1000)
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is None


async def test_a_500_that_blames_the_request_is_not_retried(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    # llama-cpp-python, asked for a response_format type it does not know
    said = "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format')}"
    refused = httpx.Response(
        500, json={"error": {"message": said, "type": "internal_server_error"}}
    )
    route = router.post(URL).mock(side_effect=[refused, TEXT_OK])

    with pytest.raises(LLMError) as caught:
        await make_client(clock, max_attempts=3).chat(MESSAGES, deadline=clock() + 8)

    assert (caught.value.code, caught.value.status) == (LLMErrorCode.CLIENT_ERROR, 500)
    assert route.call_count == 1


@pytest.mark.parametrize("status", [408, 409])
async def test_request_timeout_and_conflict_are_retried(
    router: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    router.post(URL).mock(side_effect=[error(status), TEXT_OK])

    result = await make_client(clock).chat(MESSAGES, deadline=clock() + 8)

    assert result.attempts == 2


async def test_timeout_that_uses_up_the_deadline_raises_deadline_quickly(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += request.extensions["timeout"]["read"]  # the attempt used its whole timeout
        raise httpx.ReadTimeout("read timed out", request=request)

    route = router.post(URL).mock(side_effect=slow)
    client = make_client(clock, timeout_s=10.0, max_attempts=5)
    started = time.monotonic()

    with pytest.raises(LLMError) as caught:
        await client.chat(MESSAGES, deadline=clock() + 3)

    assert caught.value.code is LLMErrorCode.DEADLINE
    assert route.call_count == 1
    assert route.calls.last.request.extensions["timeout"]["read"] == pytest.approx(3.0)
    assert clock.sleeps == []
    assert time.monotonic() - started < 1.0


async def test_a_timeout_with_time_left_is_retried(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    router.post(URL).mock(side_effect=[httpx.ReadTimeout("read timed out"), TEXT_OK])

    result = await make_client(clock, timeout_s=1.0).chat(MESSAGES, deadline=clock() + 8)

    assert result.attempts == 2


async def test_a_deadline_already_past_makes_no_request(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(URL).mock(return_value=TEXT_OK)

    with pytest.raises(LLMError) as caught:
        await make_client(clock).chat(MESSAGES, deadline=clock() - 0.1)

    assert caught.value.code is LLMErrorCode.DEADLINE
    assert not route.called


async def test_connection_resets_are_retried(router: respx.MockRouter, clock: FakeClock) -> None:
    router.post(URL).mock(
        side_effect=[
            httpx.ConnectError("connection reset by peer"),
            httpx.RemoteProtocolError("server disconnected without sending a response"),
            TEXT_OK,
        ]
    )

    result = await make_client(clock).chat(MESSAGES, deadline=clock() + 8)

    assert result.attempts == 3


async def test_connection_errors_to_the_end_raise_connection(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    router.post(URL).mock(side_effect=httpx.ConnectError("connection refused"))

    with pytest.raises(LLMError) as caught:
        await make_client(clock).chat(MESSAGES, deadline=clock() + 8)

    assert caught.value.code is LLMErrorCode.CONNECTION


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_client_errors_are_not_retried(
    router: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    route = router.post(URL).mock(return_value=error(status))

    with pytest.raises(LLMError) as caught:
        await make_client(clock).chat(MESSAGES, deadline=clock() + 8)

    assert caught.value.code is LLMErrorCode.CLIENT_ERROR
    assert caught.value.status == status
    assert route.call_count == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("response", "code"),
    [
        pytest.param(
            httpx.Response(
                200,
                json={"id": "x", "object": "chat.completion", "created": 1, "model": "m"}
                | {"choices": []},
            ),
            LLMErrorCode.EMPTY_CHOICES,
            id="empty-choices",
        ),
        pytest.param(
            httpx.Response(200, text="<html>gateway</html>"),
            LLMErrorCode.BAD_RESPONSE,
            id="not-json",
        ),
        pytest.param(
            httpx.Response(200, json={"unexpected": True}),
            LLMErrorCode.BAD_RESPONSE,
            id="no-choices-field",
        ),
    ],
)
async def test_unusable_answers_are_not_retried(
    router: respx.MockRouter, clock: FakeClock, response: httpx.Response, code: LLMErrorCode
) -> None:
    route = router.post(URL).mock(return_value=response)

    with pytest.raises(LLMError) as caught:
        await make_client(clock).chat(MESSAGES, deadline=clock() + 8)

    assert caught.value.code is code
    assert route.call_count == caught.value.attempts == 1


async def test_a_refusal_is_returned_not_raised(router: respx.MockRouter, clock: FakeClock) -> None:
    router.post(URL).mock(
        return_value=completion({"content": None, "refusal": "I can't help with that."})
    )
    client = make_client(clock)

    result = await client.chat(MESSAGES, deadline=clock() + 8)

    assert result.refusal == "I can't help with that."
    assert result.content is None
    assert result.tool_calls == []
    assert state(client.breaker("plan")) == "closed"


async def test_breaker_opens_refuses_without_http_then_half_opens_and_closes(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(URL).mock(side_effect=[error(400), error(400), TEXT_OK])
    client = make_client(clock, breaker_failures=2, breaker_cooldown_s=30.0)

    for _ in range(2):
        with pytest.raises(LLMError):
            await client.chat(MESSAGES, deadline=clock() + 8)
    assert state(client.breaker("plan")) == "open"

    with pytest.raises(LLMError) as caught:
        await client.chat(MESSAGES, deadline=clock() + 8)
    assert caught.value.code is LLMErrorCode.CIRCUIT_OPEN
    assert caught.value.attempts == 0
    assert route.call_count == 2  # no HTTP while open

    clock.now += 30.0
    assert state(client.breaker("plan")) == "half_open"
    result = await client.chat(MESSAGES, deadline=clock() + 8)

    assert result.content == "hello"
    assert route.call_count == 3
    assert state(client.breaker("plan")) == "closed"


async def test_a_failed_trial_call_reopens_the_breaker(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.post(URL).mock(return_value=error(503))
    client = make_client(clock, max_attempts=1, breaker_failures=1, breaker_cooldown_s=10.0)

    with pytest.raises(LLMError):
        await client.chat(MESSAGES, deadline=clock() + 8)
    clock.now += 10.0
    with pytest.raises(LLMError) as trial:
        await client.chat(MESSAGES, deadline=clock() + 8)

    assert trial.value.code is LLMErrorCode.SERVER_ERROR
    assert state(client.breaker("plan")) == "open"
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(
            {"type": "function", "function": {"name": "no_action", "arguments": "{}"}},
            ("call_0", "no_action", "{}"),
            id="missing-id",
        ),
        pytest.param(
            {"id": "c9", "type": "function", "function": {"name": "hold", "arguments": {"h": 1}}},
            ("c9", "hold", '{"h": 1}'),
            id="arguments-as-an-object",
        ),
    ],
)
async def test_tool_calls_from_local_servers_are_read_leniently(
    router: respx.MockRouter, clock: FakeClock, call: dict[str, Any], expected: tuple[str, ...]
) -> None:
    router.post(URL).mock(return_value=completion({"content": None, "tool_calls": [call]}))

    result = await make_client(clock).chat(MESSAGES, tools=TOOLS, deadline=clock() + 5)

    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [expected]


async def test_a_tool_call_without_a_name_is_a_bad_response(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    call = {"id": "c1", "type": "function", "function": {"arguments": "{}"}}
    router.post(URL).mock(return_value=completion({"content": None, "tool_calls": [call]}))

    with pytest.raises(LLMError) as caught:
        await make_client(clock).chat(MESSAGES, tools=TOOLS, deadline=clock() + 5)

    assert caught.value.code is LLMErrorCode.BAD_RESPONSE


def test_one_client_serves_successive_event_loops() -> None:
    """The CLI runs one asyncio.run per step: each loop gets its own connection pool. Real
    sockets (the stub server) are needed: a pool's connections belong to the loop that opened
    them."""
    with LLMStub(script=lambda _: StubReply(content="hello")) as stub:
        client = LLMClient(LLMConfig(base_url=stub.base_url, model="m", api_key=SecretStr(KEY)))

        async def ask() -> str | None:
            result = await client.chat(MESSAGES, deadline=time.monotonic() + 5)
            return result.content  # the pool stays open, as between the CLI's steps

        assert asyncio.run(ask()) == "hello"
        assert asyncio.run(ask()) == "hello"  # a pool bound to the first loop fails here
        assert len(stub.requests) == 2


LLAMA_CONTEXT = {  # llama.cpp's llama-server, a prompt over the context window
    "error": {
        "code": 400,
        "message": "the request exceeds the available context size (9525 tokens, 8192 "
        "available), try increasing it " + "x" * 300,
        "type": "exceed_context_size_error",
    }
}
VLLM_BAD_REQUEST = {  # vLLM: no "error" wrapper, the type beside the message
    "object": "error",
    "message": '"auto" tool choice requires --enable-auto-tool-choice',
    "type": "BadRequestError",
    "code": 400,
}
OPENAI_CODE_ONLY = {"error": {"message": "Invalid value for tool_choice", "code": "invalid_value"}}


@pytest.mark.parametrize(
    ("body", "error_type", "starts"),
    [
        (LLAMA_CONTEXT, "exceed_context_size_error", "the request exceeds the available context"),
        (VLLM_BAD_REQUEST, "BadRequestError", '"auto" tool choice requires'),
        (OPENAI_CODE_ONLY, "invalid_value", "Invalid value for tool_choice"),
    ],
)
async def test_an_error_says_what_the_server_said(
    router: respx.MockRouter,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    body: dict[str, Any],
    error_type: str,
    starts: str,
) -> None:
    route = router.post(URL).mock(return_value=httpx.Response(400, json=body))
    client = make_client(clock)

    with caplog.at_level("WARNING", logger="nextbest.llm"), pytest.raises(LLMError) as caught:
        await client.chat(MESSAGES, deadline=clock() + 8, purpose="narrative")

    error = caught.value
    assert route.call_count == 1  # a 400 will not change: no retry
    assert (error.code, error.status, error.error_type) == (
        LLMErrorCode.CLIENT_ERROR,
        400,
        error_type,
    )
    assert error.server_message is not None
    assert error.server_message.startswith(starts)
    assert len(error.server_message) <= 200
    [line] = [r for r in caplog.records if r.name == "nextbest.llm"]
    assert line.levelname == "WARNING"
    fields = vars(line)
    assert (fields["purpose"], fields["status"], fields["error_type"]) == (
        "narrative",
        400,
        error_type,
    )
    assert KEY not in line.getMessage()


async def test_each_kind_of_call_has_its_own_breaker_and_its_changes_are_logged(
    router: respx.MockRouter, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    router.post(URL).mock(side_effect=[error(400), error(400), TEXT_OK])
    client = make_client(clock, breaker_failures=2, breaker_cooldown_s=30.0)

    with caplog.at_level("INFO", logger="nextbest.llm"):
        for _ in range(2):
            with pytest.raises(LLMError):
                await client.chat(MESSAGES, deadline=clock() + 8, purpose="plan")
        with pytest.raises(LLMError) as refused:
            await client.chat(MESSAGES, deadline=clock() + 8, purpose="plan")
        written = await client.chat(MESSAGES, deadline=clock() + 8, purpose="narrative")

    assert refused.value.code is LLMErrorCode.CIRCUIT_OPEN
    assert written.content == "hello"  # the plan breaker does not stop narratives
    assert {k: state(b) for k, b in client.breakers.items()} == {
        "plan": "open",
        "narrative": "closed",
    }
    opened = [r for r in caplog.records if getattr(r, "state", None) == "open"]
    assert [(vars(r)["breaker"], vars(r)["failures"]) for r in opened] == [("plan", 2)]
    client.reset_breakers()
    assert client.breakers == {}


async def test_a_retried_attempt_is_logged(
    router: respx.MockRouter, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    router.post(URL).mock(side_effect=[error(503), TEXT_OK])
    client = make_client(clock)

    with caplog.at_level("INFO", logger="nextbest.llm"):
        result = await client.chat(MESSAGES, deadline=clock() + 8)

    assert result.attempts == 2
    [retry] = [r for r in caplog.records if r.name == "nextbest.llm"]
    assert (vars(retry)["attempt"], vars(retry)["status"], vars(retry)["code"]) == (
        1,
        503,
        "server_error",
    )

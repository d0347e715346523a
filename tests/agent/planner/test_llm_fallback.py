"""When the endpoint misbehaves the decision still comes, in time: retried, or by the rules.

The real openai client and our LLMClient run against respx; waits between retries are recorded
by a fake sleep (no test waits for a backoff), except where wall time is the point.
"""

from __future__ import annotations

import asyncio

import httpx
import respx

from tests.agent.planner.scripted import (
    LLMDecider,
    ScriptedModel,
    Sleeps,
    decide,
    no_action,
    request,
)


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"message": "busy"}}, headers=headers)


async def test_429_with_retry_after_then_success(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    sleeps = Sleeps()
    model_route.side_effect = ScriptedModel(status(429, **{"Retry-After": "1"}), no_action())

    record = await decide(llm_decider(sleep=sleeps), request("llm_429"))

    assert record.mode == "llm"
    assert sleeps.waits == [1.0]
    assert record.llm_calls[0].attempts == 2


async def test_500_three_times_then_success(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = ScriptedModel(status(500), status(502), status(503), no_action())

    record = await decide(llm_decider(max_attempts=4), request("llm_500"))

    assert record.mode == "llm"
    assert record.llm_calls[0].attempts == 4


async def test_server_errors_past_the_attempts_fall_back(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = ScriptedModel(status(500), status(500), status(500))

    record = await decide(llm_decider(), request("llm_500_out"))

    assert record.mode == "fallback_rules"
    assert "server_error" in record.mode_reason
    assert record.llm_calls[0].outcome == "server_error"


async def test_the_record_says_what_the_server_answered(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    refused = {  # vLLM without --enable-auto-tool-choice
        "object": "error",
        "message": '"required" tool choice requires --enable-auto-tool-choice',
        "type": "BadRequestError",
        "code": 400,
    }
    model_route.side_effect = ScriptedModel(httpx.Response(400, json=refused))

    record = await decide(llm_decider(), request("llm_400"))

    assert record.mode == "fallback_rules"
    [call] = record.llm_calls
    assert (call.outcome, call.status, call.error_type, call.attempts) == (
        "client_error",
        400,
        "BadRequestError",
        1,
    )
    assert call.error_message == '"required" tool choice requires --enable-auto-tool-choice'
    assert "client_error" in record.mode_reason


async def test_a_slow_model_falls_back_by_the_deadline(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    answered: list[bool] = []

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        answered.append(True)
        return no_action()

    model_route.side_effect = hang
    decider = llm_decider(deadline_s=0.6, timeout_s=5, sleep=asyncio.sleep)

    record = await decide(decider, request("llm_slow"))

    assert answered == []  # decided without waiting for the model
    assert record.mode == "fallback_rules"
    assert "deadline" in record.mode_reason or "timeout" in record.mode_reason
    assert record.chosen.call.type  # the rules planner decided


async def test_connection_reset_falls_back(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = httpx.ConnectError("connection reset by peer")

    record = await decide(llm_decider(), request("llm_reset"))

    assert record.mode == "fallback_rules"
    assert "connection" in record.mode_reason
    assert model_route.call_count == 3  # every attempt was made


async def test_empty_choices_fall_back(llm_decider: LLMDecider, model_route: respx.Route) -> None:
    empty = httpx.Response(
        200,
        json={"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []},
    )
    model_route.side_effect = ScriptedModel(empty)

    record = await decide(llm_decider(), request("llm_empty"))

    assert record.mode == "fallback_rules"
    assert "empty_choices" in record.mode_reason


async def test_open_breaker_falls_back_without_http(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = ScriptedModel(status(500))
    decider = llm_decider(max_attempts=1, breaker_failures=1, breaker_cooldown_s=600)
    await decide(decider, request("llm_breaker_1"))
    assert decider.deps.llm is not None
    assert decider.deps.llm.breaker("plan").state == "open"

    record = await decide(decider, request("llm_breaker_2"))

    assert model_route.call_count == 1
    assert record.mode == "fallback_rules"
    assert "circuit_open" in record.mode_reason
    assert record.llm_calls[0].attempts == 0


async def test_concurrent_decisions_overlap_their_llm_waits(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    waiting = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal waiting, peak
        waiting += 1
        peak = max(peak, waiting)
        try:
            await asyncio.sleep(0.2)
        finally:
            waiting -= 1
        return no_action()

    model_route.side_effect = slow
    decider = llm_decider()
    await decide(decider, request("llm_warm"))  # models loaded, connections open
    n = 10

    records = await asyncio.gather(*(decide(decider, request(f"llm_many_{i}")) for i in range(n)))

    assert all(r.mode == "llm" for r in records)
    assert peak > 1  # the model calls waited side by side, not one after another

"""LLMClient: one chat completion from any OpenAI-compatible endpoint, within a deadline.

Retries (tenacity) cover rate limits, 408/409, 5xx, timeouts and dropped connections, honour
``Retry-After`` up to a cap, and never sleep or start an attempt past the caller's deadline. A
circuit breaker per kind of call (plan, repair, narrative) skips the endpoint after repeated
failed calls of that kind: a server that cannot plan may still write narratives. Every failed
attempt is logged (``nextbest.llm``) with the server's status, error type and message. Only
the common chat-completions surface is used, so OpenAI, Azure OpenAI (v1 endpoint), vLLM and
Ollama all work. Reading what came back (a completion, or a streamed answer) is
``agent.llm.answers``'s.

The openai SDK gets a plain ``httpx.AsyncClient`` and ``max_retries=0``: retries are ours alone,
and tests mock the HTTP layer with respx.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Literal

import httpx
import openai
from openai import AsyncStream
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

from agent.config import LLMConfig
from agent.llm.answers import gathered, to_result
from agent.llm.breaker import CircuitBreaker
from agent.llm.errors import LLMError, LLMErrorCode
from agent.llm.http_errors import as_llm_error
from agent.llm.models import ChatResult

__all__ = ["DEFAULT_CHARS_PER_TOKEN", "LLMClient", "request_chars"]

_log = logging.getLogger("nextbest.llm")

ToolChoice = Literal["auto", "required", "none"] | str
"""A mode, or the name of the one function the model must call (sent in the named form)."""

_BACKOFF_BASE_S = 0.25
_BACKOFF_MAX_S = 2.0
_BACKOFF_JITTER_S = 0.25
_MAX_CONNECTIONS = 512
"""Concurrent requests to the endpoint from one process: decisions overlap their LLM waits."""
_KEEPALIVE = 64


class _StopAtDeadline(stop_base):
    """Tenacity stop condition: after the wait, the next attempt would start past the deadline.

    ``hit`` tells the caller that the deadline, not the attempt limit, ended the retries.
    """

    def __init__(self, clock: Callable[[], float], deadline: float) -> None:
        self._clock = clock
        self._deadline = deadline
        self.hit = False

    def __call__(self, retry_state: RetryCallState) -> bool:
        self.hit = self._clock() + retry_state.upcoming_sleep >= self._deadline
        return self.hit


def _retry_after_or_backoff(retry_state: RetryCallState) -> float:
    """Tenacity wait: the server's Retry-After when it sent one, else backoff with jitter."""
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    if isinstance(exc, LLMError) and exc.retry_after_s is not None:
        return exc.retry_after_s
    backoff = min(_BACKOFF_BASE_S * 2.0 ** (retry_state.attempt_number - 1), _BACKOFF_MAX_S)
    return backoff + random.uniform(0, _BACKOFF_JITTER_S)  # noqa: S311 (jitter, not crypto)


def _fields(exc: LLMError, **more: object) -> dict[str, object]:
    """A failed call's log fields (``extra``): never the request, its headers or its key."""
    return {
        "code": exc.code.value,
        "status": exc.status,
        "error_type": exc.error_type,
        "server_message": exc.server_message,
        **more,
    }


DEFAULT_CHARS_PER_TOKEN = 3.0
"""A cautious estimate for a JSON-heavy request (English prose runs nearer 4 a token); a small
model's tokenizer with a function-calling template was measured at 2.4."""


def request_chars(body: dict[str, object]) -> int:
    """The size of a request body as compact JSON: what a prompt budget is measured in."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str))


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, LLMError) and exc.retryable


class LLMClient:
    """Chat completions with retries, a deadline and a circuit breaker.

    ``clock`` (monotonic seconds) and ``sleep`` are injected so tests pin time and record waits;
    ``deadline`` arguments are absolute values of that clock.
    """

    def __init__(
        self,
        config: LLMConfig,
        *,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._clock = clock
        self._sleep = sleep
        self._given_http = http_client
        # (loop, HTTP pool, SDK client): connections belong to the event loop that opened them,
        # and the CLI runs one loop per step, so each running loop gets its own pool
        self._bound: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient, openai.AsyncOpenAI] | None
        self._bound = None
        self._breakers: dict[str, CircuitBreaker] = {}
        self._chars_per_token: float | None = None

    def _sdk(self) -> openai.AsyncOpenAI:
        """The SDK client for the running event loop (made on first use in each loop)."""
        loop = asyncio.get_running_loop()
        if self._bound is None or self._bound[0] is not loop:
            http = self._given_http or httpx.AsyncClient(
                timeout=self._config.timeout_s,
                limits=httpx.Limits(
                    max_connections=_MAX_CONNECTIONS, max_keepalive_connections=_KEEPALIVE
                ),
            )
            sdk = openai.AsyncOpenAI(
                api_key=self._config.api_key.get_secret_value(),
                base_url=self._config.base_url,
                max_retries=0,
                # openai 3 is typed for httpx2; a plain httpx client works, and respx mocks it.
                http_client=http,  # type: ignore[arg-type]
            )
            self._bound = (loop, http, sdk)
        return self._bound[2]

    @property
    def model(self) -> str:
        return self._config.model

    @property
    def config(self) -> LLMConfig:
        return self._config

    def breaker(self, purpose: str) -> CircuitBreaker:
        """The breaker of one kind of call (plan, repair, narrative), made on first use."""
        breaker = self._breakers.get(purpose)
        if breaker is None:
            breaker = CircuitBreaker(
                self._config.breaker_failures,
                self._config.breaker_cooldown_s,
                clock=self._clock,
                name=purpose,
            )
            self._breakers[purpose] = breaker
        return breaker

    @property
    def breakers(self) -> dict[str, CircuitBreaker]:
        """The breakers made so far, by kind of call."""
        return dict(self._breakers)

    @property
    def chars_per_token(self) -> float:
        """Characters of prompt (messages and tools, as compact JSON) per token, as this
        server's tokenizer and chat template count them: learned from the prompt_tokens it
        reports, ``DEFAULT_CHARS_PER_TOKEN`` until it has reported any."""
        return self._chars_per_token or DEFAULT_CHARS_PER_TOKEN

    def observe_prompt(self, prompt_chars: int, prompt_tokens: int) -> None:
        """Learn from a prompt of ``prompt_chars`` that the server counted as ``prompt_tokens``
        (its usage, or the count a context-exceeded error gives)."""
        if prompt_tokens <= 0 or prompt_chars <= 0:
            return  # a server that reports no usage teaches nothing
        seen = min(max(prompt_chars / prompt_tokens, 1.0), 8.0)
        last = self._chars_per_token
        self._chars_per_token = seen if last is None else 0.7 * last + 0.3 * seen

    def reset_breakers(self) -> None:
        """Forget every failure (an eval does this between scenarios)."""
        self._breakers.clear()

    async def chat(
        self,
        messages: Sequence[ChatCompletionMessageParam],
        *,
        tools: Sequence[ChatCompletionToolParam] | None = None,
        tool_choice: ToolChoice = "auto",
        deadline: float,
        max_tokens: int | None = None,
        purpose: str = "plan",
        response_format: Mapping[str, object] | None = None,
        stream: bool = False,
    ) -> ChatResult:
        """One chat completion (first choice), retried within ``deadline``; ``purpose`` picks
        the circuit breaker.

        ``response_format`` (e.g. a ``json_schema``) constrains a text answer; it is sent only
        when given, since some servers reject the field. ``stream`` reads a text answer as it
        is written, so a call that runs out of time closes the stream, and a server that
        notices (llama.cpp, llama-cpp-python, vLLM) stops generating instead of working on for
        nobody (tool calls are read whole: do not stream them).

        Raises ``LLMError``; its ``code`` says why (``deadline``, ``circuit_open``, ...). A model
        refusal is not an error: it comes back in ``ChatResult.refusal``.
        """
        if self._clock() >= deadline:
            raise LLMError(LLMErrorCode.DEADLINE, "the deadline passed before the call started")
        breaker = self.breaker(purpose)
        if not breaker.allow():
            raise LLMError(
                LLMErrorCode.CIRCUIT_OPEN,
                f"skipping the LLM after {breaker.consecutive_failures} failed {purpose} calls",
            )
        started = self._clock()
        attempts = 0
        body = self._body(messages, tools, tool_choice, max_tokens)
        if response_format is not None:
            body["response_format"] = dict(response_format)
        if stream:
            body["stream"] = True
        size = request_chars(body)
        try:
            completion, attempts = await self._create_with_retries(body, deadline, purpose)
            result = to_result(
                completion,
                fallback_model=self._config.model,
                latency_ms=(self._clock() - started) * 1000,
                attempts=attempts,
            ).model_copy(update={"request_chars": size})
        except LLMError as exc:
            breaker.record_failure()
            exc.attempts = max(exc.attempts, attempts)  # an unusable answer still took attempts
            exc.latency_ms = (self._clock() - started) * 1000
            exc.request_chars = size
            _log.warning(
                "LLM %s call failed after %d attempt(s): %s",
                purpose,
                exc.attempts,
                exc,
                extra=_fields(exc, purpose=purpose, attempts=exc.attempts),
            )
            raise
        except asyncio.CancelledError:
            breaker.release()
            raise
        breaker.record_success()
        self.observe_prompt(
            request_chars({"messages": body["messages"], "tools": tools or []}),
            result.usage.prompt_tokens,
        )
        return result

    async def _create_with_retries(
        self, body: dict[str, object], deadline: float, purpose: str
    ) -> tuple[object, int]:
        deadline_stop = _StopAtDeadline(self._clock, deadline)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._config.max_attempts) | deadline_stop,
            wait=_retry_after_or_backoff,
            retry=retry_if_exception(_retryable),
            sleep=self._sleep,
            reraise=True,
        )
        attempts = 0

        async def attempt() -> object:
            nonlocal attempts
            attempts += 1
            try:
                return await self._create_once(body, deadline)
            except LLMError as exc:
                if exc.retryable and attempts < self._config.max_attempts:
                    _log.info(
                        "LLM %s attempt %d failed, retrying if time allows: %s",
                        purpose,
                        attempts,
                        exc,
                        extra=_fields(exc, purpose=purpose, attempt=attempts),
                    )
                raise

        try:
            completion: object = await retrying(attempt)
        except LLMError as exc:
            if deadline_stop.hit:
                exc = LLMError(
                    LLMErrorCode.DEADLINE,
                    f"out of time after {attempts} attempt(s); last error: {exc}",
                    status=exc.status,
                )
            exc.attempts = attempts
            raise exc from None
        return completion, attempts

    async def _create_once(self, body: dict[str, object], deadline: float) -> object:
        left = deadline - self._clock()
        if left <= 0:
            raise LLMError(LLMErrorCode.DEADLINE, "no time left for another attempt")
        timeout = min(self._config.timeout_s, left)
        try:
            # asyncio.timeout bounds the whole exchange; httpx's timeout bounds each read/write.
            async with asyncio.timeout(timeout):
                # The SDK's public post() to the chat-completions path: create() would first
                # walk the whole request, tool schemas included, through its TypedDict
                # transformer on the event loop (~3 ms a call) for a body that is plain JSON
                # already. Auth, errors and the ChatCompletion parsing are the SDK's as ever.
                if body.get("stream"):
                    chunks = await self._sdk().post(
                        "/chat/completions",
                        cast_to=ChatCompletion,
                        body=body,
                        options={"timeout": timeout},
                        stream=True,
                        stream_cls=AsyncStream[ChatCompletionChunk],
                    )
                    async with chunks:  # closed on the way out, a timeout's cancel included
                        return await gathered(chunks)
                return await self._sdk().post(
                    "/chat/completions",
                    cast_to=ChatCompletion,
                    body=body,
                    options={"timeout": timeout},
                )
        except (openai.OpenAIError, httpx.HTTPError, TimeoutError, ValueError) as exc:
            # ``from None``: the SDK's exceptions carry the request, headers and key included.
            raise as_llm_error(exc, self._config.retry_after_cap_s) from None

    def _body(
        self,
        messages: Sequence[ChatCompletionMessageParam],
        tools: Sequence[ChatCompletionToolParam] | None,
        tool_choice: ToolChoice,
        max_tokens: int | None,
    ) -> dict[str, object]:
        """The request: the common chat-completions fields only, so every server accepts it."""
        body: dict[str, object] = {
            "model": self._config.model,
            "messages": list(messages),
            "temperature": self._config.temperature,
        }
        if tools:
            body["tools"] = list(tools)
            body["tool_choice"] = (
                tool_choice
                if tool_choice in ("auto", "required", "none")
                else {"type": "function", "function": {"name": tool_choice}}
            )
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        return body

    async def aclose(self) -> None:
        """Close the HTTP connections this client opened in the running event loop (a pool of
        a loop already closed went with it; an injected client is its owner's to close)."""
        bound, self._bound = self._bound, None
        if bound is None or self._given_http is not None:
            return
        loop, http, _ = bound
        if loop is asyncio.get_running_loop():
            await http.aclose()

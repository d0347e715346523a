"""Deciders that plan with a scripted LLM over real stores (demo playbooks, pinned clock).

Real network is blocked: respx refuses any request it has no route for.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import respx

from agent.config import AgentConfig, LLMConfig
from agent.demo import seed
from agent.llm import LLMClient
from agent.service import Decider
from tests.agent.planner.scripted import BASE_URL, LLMDecider, Sleeps
from tests.factories import NOW


@pytest.fixture(scope="module")
def base_decider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Decider]:
    """Rules-only Decider over the demo playbooks (inline profiles keep tests independent)."""
    decider = Decider.build(AgentConfig(data_dir=tmp_path_factory.mktemp("llm")), clock=lambda: NOW)
    asyncio.run(seed(decider, NOW))
    yield decider
    decider.close()


@pytest.fixture
async def llm_decider(base_decider: Decider) -> AsyncIterator[LLMDecider]:
    """Builds Deciders sharing the base stores, planning with an LLM configured as asked."""
    clients: list[LLMClient] = []

    def build(*, sleep: Callable[[float], Awaitable[None]] | None = None, **llm: Any) -> Decider:
        config = LLMConfig.model_validate(
            {"base_url": BASE_URL, "model": "scripted-1", "api_key": "test-key", **llm}
        )
        client = LLMClient(config, sleep=sleep or Sleeps())
        clients.append(client)
        deps = base_decider.deps
        agent_config = deps.config.model_copy(update={"llm": config})
        return Decider(dataclasses.replace(deps, config=agent_config, llm=client))

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
def model_route() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock.post(f"{BASE_URL}/chat/completions")

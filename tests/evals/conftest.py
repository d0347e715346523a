"""One eval environment (embedder, playbooks, pack) and one run of the tiny suite per session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import AgentConfig
from agent.demo import DEMO_DIR
from evals.result import EvalResultV1
from evals.runner import Environment, Execution, build_environment, execute, run_suite
from evals.suite import Suite, load_suite

TINY = Path(__file__).parent / "suites" / "tiny"


@pytest.fixture(scope="session")
def tiny_suite() -> Suite:
    return load_suite(TINY)


@pytest.fixture(scope="session")
def eval_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    workdir = tmp_path_factory.mktemp("eval-env")
    env = build_environment(
        AgentConfig(data_dir=workdir),
        mode="rules",
        playbooks=DEMO_DIR / "playbooks",
        workdir=workdir,
    )
    yield env
    env.close()


@pytest.fixture(scope="session")
def tiny_result(eval_env: Environment, tiny_suite: Suite) -> EvalResultV1:
    return asyncio.run(run_suite(eval_env, tiny_suite))


@pytest.fixture(scope="session")
def executions(eval_env: Environment, tiny_suite: Suite) -> dict[str, Execution]:
    """Each tiny scenario's decision record, by scenario id (for evaluator table tests)."""

    async def all_of_them() -> dict[str, Execution]:
        return {s.id: await execute(eval_env, s, i) for i, s in enumerate(tiny_suite.scenarios)}

    return asyncio.run(all_of_them())

"""``nextbest llm probe`` against a real HTTP server that behaves as llama-cpp-python does."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from agent.config import LLMConfig
from agent.llm.errors import LLMErrorCode
from agent.llm.probe import CACHE_FILE, cached_probe, probe, with_probed_choice
from api.cli import app
from evals.llm_stub import LLMStub, StubReply, StubRequest, planner_reply

LLAMA_CPP_500 = StubReply(status=500, content="internal_server_error")  # it says no more


def like_llama_cpp_python(request: StubRequest) -> StubReply:
    """Its function-calling format: a 500 for "required", prose for "auto", a call only when
    the tool is named; a JSON schema only beside ``json_object`` (``json_schema`` is a 500)."""
    fmt = request.response_format
    if request.tool_choice == "required" or (
        isinstance(fmt, dict) and fmt["type"] != "json_object"
    ):
        return LLAMA_CPP_500
    if request.tool_choice == "auto":
        return StubReply(content="Green is a lovely colour.")
    return planner_reply(request)


def config(base_url: str, **overrides: object) -> LLMConfig:
    return LLMConfig(base_url=base_url, model="small-local", api_key=SecretStr("x"), **overrides)


@pytest.fixture
def server() -> Iterator[LLMStub]:
    with LLMStub(script=like_llama_cpp_python) as running:
        yield running


def closed_port_url() -> str:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


async def test_the_probe_recommends_the_first_mode_that_works(server: LLMStub) -> None:
    result = await probe(config(server.base_url))

    works = {m.mode: m.ok for m in result.modes}
    assert works == {"required": False, "named": True, "auto": False, "none": True}
    assert result.recommended == "named"
    by_mode = {m.mode: m for m in result.modes}
    assert by_mode["required"].error is LLMErrorCode.SERVER_ERROR
    assert "500" in by_mode["required"].detail
    assert by_mode["auto"].detail.startswith("answered in text: 'Green is")
    assert by_mode["named"].detail == "pick_colour(red)"
    assert by_mode["none"].detail == "pick_colour(red) (json_object)"
    assert result.json_form == "json_object"
    # one attempt a mode (a failing mode is the answer), and mode none in both forms
    assert len(server.requests) == 5
    [named] = [r for r in server.requests if isinstance(r.tool_choice, dict)]
    assert [t["function"]["name"] for t in named.tools] == ["pick_colour"]  # type: ignore[index]


def test_probe_setting_uses_the_cached_result_once_probed(server: LLMStub, tmp_path: Path) -> None:
    setting = config(server.base_url, tool_choice="probe")

    first = with_probed_choice(setting, tmp_path)
    asked = len(server.requests)
    again = with_probed_choice(setting, tmp_path)

    assert (first.tool_choice, first.mode, first.json_form) == ("named", "named", "json_object")
    assert first.probed_at is not None
    assert again == first
    assert len(server.requests) == asked == 5  # the second read the cache
    cached = cached_probe(setting, tmp_path)
    assert cached is not None
    assert cached.probed_at == first.probed_at
    assert with_probed_choice(config(server.base_url), tmp_path).tool_choice == "required"


def test_an_unreachable_server_gets_required_and_is_not_cached(tmp_path: Path) -> None:
    resolved = with_probed_choice(config(closed_port_url(), tool_choice="probe"), tmp_path)

    assert (resolved.tool_choice, resolved.probed_at) == ("required", None)
    assert not (tmp_path / CACHE_FILE).exists()


def test_the_cli_prints_the_modes_and_the_setting_to_use(
    server: LLMStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEXTBEST_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("NEXTBEST_LLM_MODEL", "small-local")
    runner = CliRunner()

    probed = runner.invoke(app, ["llm", "probe"])
    cached = runner.invoke(app, ["llm", "probe"])
    refreshed = runner.invoke(app, ["llm", "probe", "--refresh"])

    assert probed.exit_code == 0, probed.output
    assert "Recommended: NEXTBEST_LLM_TOOL_CHOICE=named" in probed.output
    assert "pick_colour(red)" in probed.output
    assert "(cached)" not in probed.output
    assert "(cached)" in cached.output
    assert "(cached)" not in refreshed.output
    assert len(server.requests) == 10


def test_the_cli_exits_1_when_no_mode_works_and_2_without_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    unconfigured = runner.invoke(app, ["llm", "probe"])
    monkeypatch.setenv("NEXTBEST_LLM_BASE_URL", closed_port_url())
    monkeypatch.setenv("NEXTBEST_LLM_MODEL", "small-local")
    unreachable = runner.invoke(app, ["llm", "probe"])

    assert unconfigured.exit_code == 2
    assert "NEXTBEST_LLM_BASE_URL" in unconfigured.output
    assert unreachable.exit_code == 1
    assert "No mode worked" in unreachable.output
    assert "connection" in unreachable.output

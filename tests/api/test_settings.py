"""Settings refuse to start on unsafe or unusable values, and read NEXTBEST_* env vars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.config import OutcomeConfig
from api.keys import find_key, hash_key
from api.settings import Settings, default_data_dir
from tools import ActionType

GOOD_KEY = "k3y-0123456789abcdef"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"workers": 2}, "Chroma server", id="workers-need-chroma-server"),
        pytest.param({"api_keys": ["changeme"]}, "placeholder", id="placeholder-api-key"),
        pytest.param({"api_keys": [GOOD_KEY, "short"]}, "16\\+", id="short-api-key"),
        pytest.param({"embedding": "openai"}, "EMBEDDING_API_KEY", id="openai-without-key"),
        pytest.param({"policy_pack": "/no/such/pack.yaml"}, "is not a file", id="missing-pack"),
        pytest.param({"port": 0}, "port", id="port-out-of-range"),
        pytest.param({"chroma_mode": "cloud"}, "chroma_mode", id="unknown-chroma-mode"),
        pytest.param({"llm_model": "gpt-x"}, "both", id="llm-model-without-url"),
        pytest.param({"llm_base_url": "http://llm/v1"}, "both", id="llm-url-without-model"),
        pytest.param({"llm_deadline_s": 0}, "llm_deadline_s", id="llm-deadline-zero"),
        pytest.param({"llm_max_tool_rounds": 4}, "llm_max_tool_rounds", id="llm-too-many-rounds"),
        pytest.param({"repeat_contact_days": 0}, "repeat_contact_days", id="no-repeat-window"),
        pytest.param(
            {"response_windows_days": {"teleport": 3}}, "response_windows_days", id="bad-action"
        ),
        pytest.param(
            {"response_windows_days": {"send_message": 0}}, "response_windows_days", id="zero-days"
        ),
    ],
)
def test_settings_refuse_unsafe_values(
    tmp_path: Path, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(data_dir=tmp_path, **overrides)


def test_many_workers_are_fine_with_a_chroma_server(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, workers=4, chroma_mode="http", chroma_host="chroma")
    assert settings.to_agent_config().chroma_host == "chroma"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(f"{GOOD_KEY},{GOOD_KEY}-2", id="comma-separated"),
        pytest.param(f' ["{GOOD_KEY}", "{GOOD_KEY}-2"]', id="json-list"),
    ],
)
def test_api_keys_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str) -> None:
    monkeypatch.setenv("NEXTBEST_API_KEYS", raw)
    settings = Settings(data_dir=tmp_path)
    keys = settings.api_keys
    assert [k.key.get_secret_value() for k in keys if k.key] == [GOOD_KEY, f"{GOOD_KEY}-2"]
    assert [(k.name, k.role) for k in keys] == [("key1", "admin"), ("key2", "admin")]
    assert GOOD_KEY not in repr(settings)


def test_api_keys_with_names_roles_and_hashes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keys = [
        {"name": "crm", "role": "decider", "key": GOOD_KEY},
        {"name": "desk", "role": "agent", "sha256": hash_key("desk-0123456789abcdef")},
    ]
    monkeypatch.setenv("NEXTBEST_API_KEYS", json.dumps(keys))
    settings = Settings(data_dir=tmp_path)
    assert find_key(settings.api_keys, GOOD_KEY) == settings.api_keys[0]
    found = find_key(settings.api_keys, "desk-0123456789abcdef")
    assert found is not None
    assert (found.name, found.role) == ("desk", "agent")
    assert find_key(settings.api_keys, "desk-0123456789abcdeF") is None


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        pytest.param(
            [{"name": "a", "role": "admin", "key": GOOD_KEY, "sha256": "0" * 64}],
            "exactly one of key or sha256",
            id="key-and-hash",
        ),
        pytest.param(
            [{"name": "a", "role": "admin", "key": GOOD_KEY}] * 2, "name of its own", id="dupe"
        ),
        pytest.param([{"name": "a", "role": "owner", "key": GOOD_KEY}], "role", id="bad-role"),
        pytest.param([{"name": "a", "role": "admin", "sha256": "abc"}], "sha256", id="bad-digest"),
    ],
)
def test_bad_api_keys_are_refused(tmp_path: Path, keys: list[object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(data_dir=tmp_path, api_keys=keys)


@pytest.mark.parametrize(
    ("host", "overrides", "refused"),
    [
        pytest.param("127.0.0.1", {}, False, id="loopback"),
        pytest.param("localhost", {}, False, id="localhost"),
        pytest.param("::1", {}, False, id="ipv6-loopback"),
        pytest.param("0.0.0.0", {}, True, id="everywhere-without-keys"),
        pytest.param("10.0.0.7", {"allow_anonymous": True}, False, id="explicitly-open"),
        pytest.param("0.0.0.0", {"api_keys": [GOOD_KEY]}, False, id="with-keys"),
    ],
)
def test_an_open_api_is_served_on_loopback_only(
    tmp_path: Path, host: str, overrides: dict[str, object], refused: bool
) -> None:
    settings = Settings(data_dir=tmp_path, host=host, **overrides)
    if refused:
        with pytest.raises(ValueError, match="without API keys"):
            settings.check_serving()
    else:
        settings.check_serving()


def test_a_rejected_key_is_not_echoed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEXTBEST_API_KEYS", "s3cr3t-short")
    with pytest.raises(ValidationError) as caught:
        Settings(data_dir=tmp_path)
    assert "s3cr3t" not in str(caught.value)


def test_env_and_agent_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text("version: x\n")
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("NEXTBEST_PORT", "9000")
    monkeypatch.setenv("NEXTBEST_PLAYBOOKS_K", "7")
    monkeypatch.setenv("NEXTBEST_POLICY_PACK", str(pack))
    monkeypatch.setenv("NEXTBEST_EMBEDDING", "openai")
    monkeypatch.setenv("NEXTBEST_EMBEDDING_API_KEY", "sk-test-embedding")
    settings = Settings()
    assert settings.port == 9000
    config = settings.to_agent_config()
    assert config.data_dir == tmp_path / "d"
    assert config.playbooks_k == 7
    assert config.policy_pack == pack
    assert config.embedding == "openai"
    assert config.embedding_api_key == "sk-test-embedding"


def test_default_data_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "nextbest"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_data_dir() == Path.home() / ".local" / "share" / "nextbest"


def test_no_llm_configured_means_rules_mode(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).to_agent_config().llm is None


def test_llm_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "NEXTBEST_LLM_BASE_URL": "http://localhost:11434/v1",
        "NEXTBEST_LLM_MODEL": "qwen2.5:7b",
        "NEXTBEST_LLM_DEADLINE_S": "4.5",
        "NEXTBEST_LLM_MAX_ATTEMPTS": "2",
        "NEXTBEST_LLM_BREAKER_FAILURES": "3",
        "NEXTBEST_LLM_BREAKER_COOLDOWN_S": "12",
        "NEXTBEST_LLM_RETRY_AFTER_CAP_S": "1.5",
        "NEXTBEST_LLM_MAX_TOOL_ROUNDS": "1",
        "NEXTBEST_LLM_TEMPERATURE": "0.2",
        "NEXTBEST_LLM_NARRATIVE": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    llm = Settings(data_dir=tmp_path).to_agent_config().llm
    assert llm is not None
    assert (llm.base_url, llm.model) == ("http://localhost:11434/v1", "qwen2.5:7b")
    assert llm.api_key.get_secret_value() == "unused"  # Ollama needs none; the client needs one
    assert (llm.deadline_s, llm.max_attempts, llm.retry_after_cap_s) == (4.5, 2, 1.5)
    assert (llm.breaker_failures, llm.breaker_cooldown_s) == (3, 12.0)
    assert (llm.max_tool_rounds, llm.temperature, llm.narrative) == (1, 0.2, False)


def test_the_llm_api_key_is_kept_secret(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, llm_base_url="https://api.example/v1", llm_model="m", llm_api_key="sk-1"
    )
    llm = settings.to_agent_config().llm
    assert llm is not None
    assert llm.api_key.get_secret_value() == "sk-1"
    assert "sk-1" not in repr(settings)
    assert "sk-1" not in repr(llm)


def test_outcome_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings(data_dir=tmp_path).to_agent_config().outcomes == OutcomeConfig()
    monkeypatch.setenv("NEXTBEST_RESERVATION_TTL_S", "600")
    monkeypatch.setenv("NEXTBEST_REPEAT_CONTACT_DAYS", "7")
    monkeypatch.setenv("NEXTBEST_TRANSFER_WINDOW_MINUTES", "30")
    monkeypatch.setenv("NEXTBEST_RESPONSE_WINDOWS_DAYS", '{"send_message": 3, "no_action": 1}')
    outcomes = Settings(data_dir=tmp_path).to_agent_config().outcomes
    assert (outcomes.reservation_ttl_s, outcomes.repeat_contact_days) == (600, 7)
    assert outcomes.transfer_window_minutes == 30
    windows = outcomes.response_windows_days
    assert (windows[ActionType.SEND_MESSAGE], windows[ActionType.NO_ACTION]) == (3, 1)
    assert windows[ActionType.OFFER_INCENTIVE] == 14  # the defaults stay where not overridden

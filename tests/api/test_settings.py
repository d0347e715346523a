"""Settings refuse to start on unsafe or unusable values, and read NEXTBEST_* env vars."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings, default_data_dir

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
    assert [k.get_secret_value() for k in settings.api_keys] == [GOOD_KEY, f"{GOOD_KEY}-2"]
    assert GOOD_KEY not in repr(settings)


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

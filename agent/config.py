"""What the agent needs to be built: paths, backends, knobs. Filled by api.settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AgentConfig"]


class AgentConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    data_dir: Path = Field(description="Holds nextbest.db (SQLite) and chroma/ (embedded Chroma).")
    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    embedding: Literal["local", "openai"] = "local"
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = None
    embedding_api_key: str | None = None
    policy_pack: Path | None = Field(default=None, description="None: the packaged default pack.")
    playbooks_k: int = Field(
        default=5, ge=1, le=20, description="Playbooks retrieved per decision."
    )
    event_lookback_days: int = Field(default=30, ge=1, le=365)
    max_events: int = Field(default=200, ge=1, le=5000)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "nextbest.db"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

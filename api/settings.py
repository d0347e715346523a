"""Settings: one class, ``NEXTBEST_*`` env vars (or ``.env``), validated at startup."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agent.config import (
    DEFAULT_RESPONSE_WINDOWS_DAYS,
    AgentConfig,
    JsonForm,
    LLMConfig,
    OutcomeConfig,
    ToolChoiceSetting,
    is_postgres_url,
)
from api.keys import ApiKey, parse_keys
from tools import ActionType

__all__ = ["Settings", "default_data_dir"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nextbest"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEXTBEST_",
        env_file=".env",
        extra="ignore",
        hide_input_in_errors=True,  # errors must not echo API keys back into logs
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:5432/db: the stores and paused approvals "
        "in PostgreSQL (migrated at start-up). Unset: SQLite files in NEXTBEST_DATA_DIR.",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    embedding: Literal["local", "minilm", "openai"] = Field(
        default="local",
        description="local: the packaged multilingual model (USE multilingual v3, 16 "
        "languages); minilm: the packaged English all-MiniLM-L6-v2; openai: an "
        "OpenAI-compatible endpoint.",
    )
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = None
    embedding_api_key: SecretStr | None = None
    policy_pack: Path | None = None
    playbooks_k: int = Field(default=5, ge=1, le=20)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=10.0, gt=0, le=120)
    llm_deadline_s: float = Field(default=8.0, gt=0, le=120)
    llm_max_attempts: int = Field(default=3, ge=1, le=10)
    llm_breaker_failures: int = Field(default=5, ge=1, le=100)
    llm_breaker_cooldown_s: float = Field(default=30.0, gt=0, le=3600)
    llm_retry_after_cap_s: float = Field(default=5.0, ge=0, le=60)
    llm_max_tool_rounds: int = Field(default=3, ge=1, le=3)
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_tool_choice: ToolChoiceSetting = "required"
    llm_json_form: JsonForm = "json_schema"
    llm_max_output_tokens: int = Field(default=800, ge=16, le=32768)
    llm_prompt_token_budget: int = Field(default=16000, ge=500, le=1_000_000)
    llm_narrative: bool = True
    llm_narrative_deadline_s: float = Field(default=8.0, gt=0, le=120)
    llm_narrative_max_tokens: int = Field(default=200, ge=16, le=4096)
    secret_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes; keys identity tokens and record keys. Unset: "
        "generated once into NEXTBEST_DATA_DIR/secret.key. Set it in production, and keep it.",
    )
    audit_origin: str = Field(
        default="nextbest.local/audit",
        pattern=r"^[^\s+]{1,200}$",
        description="The log's name in its signed checkpoints (no spaces or '+').",
    )
    audit_signing_key: SecretStr | None = Field(
        default=None,
        description="Base64 of the 32-byte Ed25519 seed that signs checkpoints. Unset: "
        "generated once into NEXTBEST_DATA_DIR/audit-signing.key.",
    )
    audit_checkpoint_s: int = Field(
        default=300, ge=0, le=86400, description="Seconds between signed checkpoints; 0: never."
    )
    approval_ttl_s: int = Field(
        default=4 * 3600,
        ge=60,
        le=30 * 86400,
        description="Seconds an approval waits for a verdict; then it expires and the safe "
        "default is released.",
    )
    approval_sweep_s: int = Field(
        default=15,
        ge=1,
        le=3600,
        description="Seconds between sweeps that expire overdue approvals, finish interrupted "
        "releases and deliver the webhook.",
    )
    approval_webhook_url: AnyHttpUrl | None = Field(
        default=None, description="Where each release is POSTed, HMAC-signed. Unset: nowhere."
    )
    approval_webhook_secret: SecretStr | None = Field(
        default=None, description="The webhook's HMAC-SHA256 key, 16 characters or more."
    )
    otel_endpoint: AnyHttpUrl | None = Field(
        default=None,
        description="An OTLP/HTTP collector, e.g. http://127.0.0.1:4318: a span per decision "
        "and per graph step goes to its /v1/traces. Unset: no traces.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="json: every log line a JSON object, and one line per request (method, "
        "route, status, latency, caller, decision id).",
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    reservation_ttl_s: int = Field(default=900, ge=0, le=7 * 86400)
    repeat_contact_days: int = Field(default=30, ge=1, le=365)
    transfer_window_minutes: int = Field(default=120, ge=1, le=7 * 24 * 60)
    response_windows_days: dict[ActionType, Annotated[int, Field(ge=1, le=365)]] = Field(
        default_factory=dict,
        description="Per action type, days until an executed action with no response counts "
        'as no_response; JSON, merged over the defaults, e.g. {"send_message": 5}.',
    )
    api_keys: Annotated[list[ApiKey], NoDecode] = Field(
        default_factory=list,
        description="When set, /v1 needs `Authorization: Bearer <key>` and each key's role "
        'decides what it may do. Env: JSON, [{"name": "crm", "role": "decider", "key": "..."}] '
        '(or "sha256": the key\'s hex digest); a list of bare keys makes admins.',
    )
    allow_anonymous: bool = Field(
        default=False,
        description="Serve without API keys on an address other than loopback (refused else).",
    )
    rate_limit_per_s: float = Field(
        default=50.0, ge=0, le=100_000, description="Requests per second per key; 0: no limit."
    )
    rate_limit_burst: int = Field(default=100, ge=1, le=1_000_000)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        return parse_keys(value)

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not is_postgres_url(value.get_secret_value()):
            raise ValueError("must be a postgresql:// URL (unset: SQLite in the data directory)")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        if self.workers > 1 and self.chroma_mode == "embedded":
            raise ValueError(
                "workers > 1 needs a Chroma server: embedded Chroma is not process-safe; "
                "set NEXTBEST_CHROMA_MODE=http with NEXTBEST_CHROMA_HOST/PORT"
            )
        names = [key.name for key in self.api_keys]
        if len(names) != len(set(names)):
            raise ValueError("NEXTBEST_API_KEYS: every key needs a name of its own")
        if self.embedding == "openai" and self.embedding_api_key is None:
            raise ValueError("NEXTBEST_EMBEDDING=openai needs NEXTBEST_EMBEDDING_API_KEY")
        if (self.llm_base_url is None) != (self.llm_model is None):
            raise ValueError("an LLM needs both NEXTBEST_LLM_BASE_URL and NEXTBEST_LLM_MODEL")
        if self.policy_pack is not None and not self.policy_pack.is_file():
            raise ValueError(f"NEXTBEST_POLICY_PACK {str(self.policy_pack)!r} is not a file")
        return self

    def check_serving(self) -> None:
        """Refuse to serve an open API beyond this machine: without API keys, only a loopback
        address, unless NEXTBEST_ALLOW_ANONYMOUS=true says it is meant."""
        if self.api_keys or self.allow_anonymous or _is_loopback(self.host):
            return
        raise ValueError(
            f"refusing to serve on {self.host!r} without API keys: anyone who reaches it could "
            "read every profile and decision. Set NEXTBEST_API_KEYS, or "
            "NEXTBEST_ALLOW_ANONYMOUS=true if an outer layer guards it."
        )

    def to_agent_config(self) -> AgentConfig:
        return AgentConfig(
            data_dir=self.data_dir,
            database_url=self.database_url,
            database_pool_size=self.database_pool_size,
            chroma_mode=self.chroma_mode,
            chroma_host=self.chroma_host,
            chroma_port=self.chroma_port,
            embedding=self.embedding,
            embedding_model=self.embedding_model,
            embedding_base_url=self.embedding_base_url,
            embedding_api_key=self.embedding_api_key.get_secret_value()
            if self.embedding_api_key
            else None,
            policy_pack=self.policy_pack,
            playbooks_k=self.playbooks_k,
            secret_key=self.secret_key,
            audit_origin=self.audit_origin,
            audit_signing_key=self.audit_signing_key,
            audit_checkpoint_s=self.audit_checkpoint_s,
            approval_ttl_s=self.approval_ttl_s,
            approval_webhook_url=self.approval_webhook_url,
            approval_webhook_secret=self.approval_webhook_secret,
            llm=self._llm_config(),
            outcomes=OutcomeConfig(
                reservation_ttl_s=self.reservation_ttl_s,
                repeat_contact_days=self.repeat_contact_days,
                transfer_window_minutes=self.transfer_window_minutes,
                response_windows_days={
                    **DEFAULT_RESPONSE_WINDOWS_DAYS,
                    **self.response_windows_days,
                },
            ),
        )

    def _llm_config(self) -> LLMConfig | None:
        if self.llm_base_url is None or self.llm_model is None:
            return None
        return LLMConfig(
            base_url=self.llm_base_url,
            model=self.llm_model,
            # local servers (Ollama, vLLM) accept any key; the client needs a non-empty one
            api_key=self.llm_api_key or SecretStr("unused"),
            timeout_s=self.llm_timeout_s,
            deadline_s=self.llm_deadline_s,
            max_attempts=self.llm_max_attempts,
            breaker_failures=self.llm_breaker_failures,
            breaker_cooldown_s=self.llm_breaker_cooldown_s,
            retry_after_cap_s=self.llm_retry_after_cap_s,
            max_tool_rounds=self.llm_max_tool_rounds,
            temperature=self.llm_temperature,
            tool_choice=self.llm_tool_choice,
            json_form=self.llm_json_form,
            max_output_tokens=self.llm_max_output_tokens,
            prompt_token_budget=self.llm_prompt_token_budget,
            narrative=self.llm_narrative,
            narrative_deadline_s=self.llm_narrative_deadline_s,
            narrative_max_tokens=self.llm_narrative_max_tokens,
        )

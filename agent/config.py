"""What the agent needs to be built: paths, backends, knobs. Filled by api.settings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal, Self

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, model_validator

from tools import ActionType

__all__ = [
    "DEFAULT_RESPONSE_WINDOWS_DAYS",
    "AgentConfig",
    "JsonForm",
    "LLMConfig",
    "OutcomeConfig",
    "ToolChoiceMode",
    "ToolChoiceSetting",
    "is_postgres_url",
]


def is_postgres_url(value: str) -> bool:
    """A URL of a PostgreSQL database (what NEXTBEST_DATABASE_URL must be)."""
    return value.startswith(("postgresql://", "postgres://"))


DEFAULT_RESPONSE_WINDOWS_DAYS: dict[ActionType, int] = {
    ActionType.SEND_MESSAGE: 7,
    ActionType.OFFER_INCENTIVE: 14,
    ActionType.SCHEDULE_CALLBACK: 2,
    ActionType.HANDOFF_TO_AGENT: 1,
    ActionType.RECOMMEND_ARTICLE: 3,
    ActionType.OPEN_CASE: 30,
    ActionType.UPDATE_CASE: 30,
    ActionType.APPLY_GOODWILL_CREDIT: 30,
}
"""Days after an executed action takes effect within which a response is expected; an action
type left out (hold_outreach, no_action) expects none."""


class OutcomeConfig(BaseModel):
    """How a decision's life after the response is accounted for and measured."""

    model_config = ConfigDict(frozen=True)

    reservation_ttl_s: int = Field(
        default=900,
        ge=0,
        le=7 * 86400,
        description="How long an unreported recommendation holds its contact or spend.",
    )
    repeat_contact_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="A contact on the same topic within this many days is a repeat contact.",
    )
    transfer_window_minutes: int = Field(
        default=120,
        ge=1,
        le=7 * 24 * 60,
        description="A transfer event this soon after an inbound decision belongs to it.",
    )
    response_windows_days: dict[ActionType, int] = Field(
        default_factory=lambda: dict(DEFAULT_RESPONSE_WINDOWS_DAYS),
        description="Per action type: days until an executed action with no response counts "
        "as no_response.",
    )


ToolChoiceMode = Literal["required", "auto", "named", "none"]
"""How a plan asks the model for its actions (see ``LLMConfig.tool_choice``)."""
ToolChoiceSetting = Literal["required", "auto", "named", "none", "probe"]
JsonForm = Literal["json_schema", "json_object"]
"""How a JSON plan's schema travels in ``response_format`` (see ``LLMConfig.json_form``)."""
"""A mode, or ``probe``: the mode ``nextbest llm probe`` found to work with the server."""


class LLMConfig(BaseModel):
    """An OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI v1, vLLM, Ollama)."""

    model_config = ConfigDict(frozen=True)

    base_url: str = Field(description="e.g. https://api.openai.com/v1, http://localhost:11434/v1")
    model: str = Field(min_length=1)
    api_key: SecretStr = Field(description="Local servers ignore it; any non-empty value works.")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="One HTTP attempt.")
    deadline_s: float = Field(
        default=8.0, gt=0, le=120, description="Per decision: past it, the rules planner decides."
    )
    max_attempts: int = Field(default=3, ge=1, le=10, description="Per call, retries included.")
    retry_after_cap_s: float = Field(
        default=5.0, ge=0, le=60, description="Longest Retry-After wait honoured."
    )
    breaker_failures: int = Field(
        default=5, ge=1, le=100, description="Failed calls in a row that open the breaker."
    )
    breaker_cooldown_s: float = Field(
        default=30.0, gt=0, le=3600, description="How long an open breaker skips the LLM."
    )
    max_tool_rounds: int = Field(
        default=3, ge=1, le=3, description="Rounds of read-only tools before an action is due."
    )
    temperature: float = Field(default=0.0, ge=0, le=2)
    tool_choice: ToolChoiceSetting = Field(
        default="required",
        description="How a plan asks for tool calls: required (OpenAI, vLLM, Ollama), auto (the "
        "model may answer in text: a repair round follows), named: the call names the one "
        "tool to use, the first action of the best playbook (llama-cpp-python's "
        "function-calling format calls tools only so), or none: no tools are sent and the "
        "model answers with a JSON plan its response_format schema constrains (the last "
        "resort, for servers whose models will not call tools). probe: the mode "
        "`nextbest llm probe` recommends for this server and model (cached in the data "
        "directory; probed at start-up when nothing is cached).",
    )
    json_form: JsonForm = Field(
        default="json_schema",
        description="With tool_choice none, how response_format carries the plan's schema: "
        "json_schema (OpenAI, vLLM, Ollama, llama.cpp's llama-server) or json_object with a "
        "schema field (llama-cpp-python, which accepts no other).",
    )
    probed_at: datetime | None = Field(
        default=None,
        description="When the probe chose tool_choice (set when the setting was probe).",
    )
    max_output_tokens: int = Field(
        default=800,
        ge=16,
        le=32768,
        description="The most tokens the model may write in a plan or repair answer.",
    )
    prompt_token_budget: int = Field(
        default=16000,
        ge=500,
        le=1_000_000,
        description="The most tokens a plan request may take (estimated from its size, at "
        "the characters per token the server's own usage reports show): the "
        "weakest playbooks are left out until it fits. For a model with an 8k context, 6000 "
        "with tool_choice named (the schemas of every tool alone take about 5000).",
    )
    narrative: bool = Field(default=True, description="Let the LLM write briefing narratives.")
    narrative_deadline_s: float = Field(
        default=8.0,
        gt=0,
        le=120,
        description="A narrative's own deadline, from when it is asked for (not what the plan "
        "left): past it the template narrative stays, and the stream is closed so the server "
        "stops writing.",
    )
    narrative_max_tokens: int = Field(
        default=200, ge=16, le=4096, description="The most tokens a narrative may take."
    )

    @property
    def mode(self) -> ToolChoiceMode:
        """The tool_choice a plan uses (``required`` for a probe that was never resolved)."""
        return "required" if self.tool_choice == "probe" else self.tool_choice


class AgentConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    data_dir: Path = Field(description="Holds nextbest.db (SQLite) and chroma/ (embedded Chroma).")
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:5432/db: every store, and the paused "
        "approvals, in PostgreSQL. None: SQLite files in data_dir.",
    )
    database_pool_size: int = Field(
        default=10, ge=1, le=200, description="PostgreSQL connections per process, at most."
    )
    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    embedding: Literal["local", "minilm", "openai"] = Field(
        default="local",
        description="local: the packaged multilingual model (USE multilingual v3, 16 "
        "languages); minilm: the packaged English all-MiniLM-L6-v2; openai: an "
        "OpenAI-compatible endpoint.",
    )
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = None
    embedding_api_key: str | None = None
    policy_pack: Path | None = Field(default=None, description="None: the packaged default pack.")
    playbooks_k: int = Field(
        default=5, ge=1, le=20, description="Playbooks retrieved per decision."
    )
    event_lookback_days: int = Field(default=30, ge=1, le=365)
    max_events: int = Field(default=200, ge=1, le=5000)
    llm: LLMConfig | None = Field(
        default=None, description="None: the rules planner decides (the embedded default)."
    )
    outcomes: OutcomeConfig = Field(default_factory=OutcomeConfig)
    audit_origin: str = Field(
        default="nextbest.local/audit",
        pattern=r"^[^\s+]{1,200}$",
        description="The log's name in its signed checkpoints (a URL-like id, no spaces).",
    )
    audit_signing_key: SecretStr | None = Field(
        default=None,
        description="Base64 of the 32-byte Ed25519 seed that signs checkpoints. None: one "
        "generated into data_dir/audit-signing.key on first use.",
    )
    audit_checkpoint_s: int = Field(
        default=300, ge=0, le=86400, description="How often the server signs the chain's head."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 bytes: keys the identity tokens and the customers' record "
        "keys. None: one generated into data_dir/secret.key on first use.",
    )
    approval_ttl_s: int = Field(
        default=4 * 3600,
        ge=60,
        le=30 * 86400,
        description="How long an approval waits for a verdict before it expires and the safe "
        "default is released.",
    )
    approval_webhook_url: AnyHttpUrl | None = Field(
        default=None, description="Where each release is POSTed (HMAC-signed); None: nowhere."
    )
    approval_webhook_secret: SecretStr | None = Field(
        default=None, description="The HMAC-SHA256 key of the webhook's signature."
    )

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Self:
        if self.approval_webhook_url is not None:
            secret = self.approval_webhook_secret
            if secret is None or len(secret.get_secret_value()) < 16:
                raise ValueError(
                    "approval_webhook_url needs approval_webhook_secret (16 characters or more)"
                )
        return self

    @model_validator(mode="after")
    def _database_url_is_postgres(self) -> Self:
        url = self.database_url
        if url is not None and not is_postgres_url(url.get_secret_value()):
            raise ValueError("database_url must start with postgresql:// (or postgres://)")
        return self

    @property
    def database_path(self) -> Path:
        return self.data_dir / "nextbest.db"

    @property
    def database_target(self) -> Path | str:
        """What the stores open: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url else self.database_path

    @property
    def approvals_path(self) -> Path:
        """The approval graph's checkpoints (paused approvals), in SQLite."""
        return self.data_dir / "approvals.db"

    @property
    def approvals_target(self) -> Path | str:
        """Where the paused approvals are kept: beside the stores."""
        return self.database_url.get_secret_value() if self.database_url else self.approvals_path

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

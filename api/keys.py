"""API keys: each has a name (recorded with what it does) and a role (what it may do)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = ["ApiKey", "Role", "find_key", "hash_key", "parse_keys"]

_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "test", "example", "xxx", ""}


class Role(StrEnum):
    DECIDER = "decider"
    """Orchestration systems: decide, report outcomes, post events, write customers."""
    AGENT = "agent"
    """Support agents: briefings, reading decisions and customers, recording what was done."""
    REVIEWER = "reviewer"
    """CX governance: reading everything, reviews, approvals, KPIs."""
    ADMIN = "admin"
    """Everything, erasure included."""


def hash_key(key: str) -> str:
    """The SHA-256 hex digest a key is configured and compared by."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(BaseModel):
    """One API key, given in the clear (``key``) or as its SHA-256 (``sha256``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$",
        description="Who uses it, e.g. crm or agent-desk; recorded with every decision it makes.",
    )
    role: Role = Field(description="decider, agent, reviewer or admin.")
    key: SecretStr | None = Field(default=None, description="The key itself (16+ characters).")
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="Or its SHA-256 hex digest, so the secret never sits in the configuration.",
    )
    override_profiles: bool = Field(
        default=False,
        description="May send an inline profile for a customer that is stored (else 409).",
    )

    @model_validator(mode="after")
    def _one_secret(self) -> Self:
        if (self.key is None) == (self.sha256 is None):
            raise ValueError(f"API key {self.name!r}: give exactly one of key or sha256")
        if self.key is not None:
            secret = self.key.get_secret_value()
            if secret.strip().lower() in _PLACEHOLDERS or len(secret) < 16:
                raise ValueError(
                    f"API key {self.name!r} is a placeholder or short (use 16+ random chars)"
                )
        return self

    @property
    def digest(self) -> str:
        if self.sha256 is not None:
            return self.sha256
        assert self.key is not None
        return hash_key(self.key.get_secret_value())


def parse_keys(value: object) -> object:
    """``NEXTBEST_API_KEYS``: a JSON list of ``{"name", "role", "key" | "sha256"}`` objects.

    The older forms, a JSON list of strings or ``key1,key2``, still work: each such key is an
    admin named ``key1``, ``key2``, ... (as every key was before roles)."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else [
            part.strip() for part in text.split(",") if part.strip()
        ]  # fmt: skip
    if not isinstance(value, list):
        return value
    keys: list[Any] = []
    for index, item in enumerate(value, start=1):
        if isinstance(item, str | SecretStr):
            keys.append({"name": f"key{index}", "role": Role.ADMIN, "key": item})
        else:
            keys.append(item)
    return keys


def find_key(keys: Sequence[ApiKey], given: str) -> ApiKey | None:
    """The configured key ``given`` is, compared in constant time by digest."""
    digest = hash_key(given)
    found = None
    for key in keys:
        if hmac.compare_digest(digest, key.digest):
            found = key
    return found

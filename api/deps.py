"""Dependency aliases for the routes: the Decider, the settings, and auth."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agent.errors import ErrorCode, NextbestError
from agent.service import Decider
from api.settings import Settings

__all__ = ["DeciderDep", "SettingsDep", "require_api_key"]

_bearer = HTTPBearer(auto_error=False)


def _decider(request: Request) -> Decider:
    decider: Decider = request.app.state.decider
    return decider


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DeciderDep = Annotated[Decider, Depends(_decider)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """When API keys are configured, every /v1 call needs ``Authorization: Bearer <key>``."""
    if not settings.api_keys:
        return
    if credentials is None:
        raise NextbestError(
            "missing Authorization: Bearer <key>", ErrorCode.UNAUTHORIZED, field="Authorization"
        )
    given = credentials.credentials.encode()
    if not any(
        hmac.compare_digest(given, key.get_secret_value().encode()) for key in settings.api_keys
    ):
        raise NextbestError("invalid API key", ErrorCode.UNAUTHORIZED, field="Authorization")

"""Dependency aliases for the routes (the Decider, the settings), and the query check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant

from agent.errors import ErrorCode, NextbestError
from agent.service import Decider
from api.settings import Settings

__all__ = ["DeciderDep", "SettingsDep", "forbid_unknown_query"]


def _decider(request: Request) -> Decider:
    decider: Decider = request.app.state.decider
    return decider


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DeciderDep = Annotated[Decider, Depends(_decider)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


async def forbid_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare is a 422, never silently ignored (a typo
    like ``?customer=c13`` would otherwise return every customer's decisions)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if not unknown:
        return
    accepted = ", ".join(sorted(known)) or "none"
    fields = [
        (f"query.{name}", f"unknown query parameter (this route takes: {accepted})")
        for name in unknown
    ]
    raise NextbestError(
        f"unknown query parameter {unknown[0]!r} (this route takes: {accepted})",
        ErrorCode.INVALID_INPUT,
        field=fields[0][0],
        fields=fields,
    )

"""Who is calling, and may they: API keys with roles, the role-by-route table, rate limits.

``ACCESS`` is the one place that says which roles may call which route; a /v1 route missing
from it is refused to everyone (and a test fails). Without configured keys the service runs
open on loopback (refused elsewhere by ``Settings.check_serving``), the caller is
``anonymous`` and may do everything.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agent.errors import ErrorCode, NextbestError
from agent.service import Asker
from api.deps import SettingsDep
from api.keys import ApiKey, Role, find_key

__all__ = ["ACCESS", "ANONYMOUS", "Caller", "CallerDep", "RateLimiter", "authorize"]

_D, _A, _R, _ADMIN = Role.DECIDER, Role.AGENT, Role.REVIEWER, Role.ADMIN

ACCESS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/v1/decide"): frozenset({_D, _ADMIN}),
    ("POST", "/v1/briefings"): frozenset({_A, _ADMIN}),
    ("GET", "/v1/decisions"): frozenset({_A, _R, _ADMIN}),
    ("GET", "/v1/decisions/{decision_id}"): frozenset({_A, _R, _ADMIN}),
    ("POST", "/v1/decisions/{decision_id}/outcomes"): frozenset({_D, _A, _ADMIN}),
    ("POST", "/v1/outcomes"): frozenset({_D, _ADMIN}),
    ("GET", "/v1/kpis"): frozenset({_R, _ADMIN}),
    ("GET", "/v1/customers"): frozenset({_R, _ADMIN}),
    ("GET", "/v1/customers/{customer_id}"): frozenset({_A, _R, _ADMIN}),
    ("PUT", "/v1/customers/{customer_id}"): frozenset({_D, _ADMIN}),
    ("POST", "/v1/customers/{customer_id}/events"): frozenset({_D, _ADMIN}),
    ("DELETE", "/v1/customers/{customer_id}"): frozenset({_ADMIN}),
    ("GET", "/v1/playbooks"): frozenset({_R, _ADMIN}),
    ("POST", "/v1/playbooks"): frozenset({_ADMIN}),
    ("POST", "/v1/decisions/{decision_id}/reviews"): frozenset({_R, _ADMIN}),
    ("GET", "/v1/reviews"): frozenset({_R, _ADMIN}),
    ("GET", "/v1/approvals"): frozenset({_R, _ADMIN}),
    ("GET", "/v1/approvals/{approval_id}"): frozenset({_R, _ADMIN}),
    ("POST", "/v1/approvals/{approval_id}/approve"): frozenset({_R, _ADMIN}),
    ("POST", "/v1/approvals/{approval_id}/reject"): frozenset({_R, _ADMIN}),
    ("GET", "/v1/audit/verify"): frozenset({_R, _ADMIN}),
    ("GET", "/v1/audit/checkpoint"): frozenset({_R, _ADMIN}),
}
"""(method, route path) -> the roles that may call it. Agents record outcomes from the desk."""


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    """The key's name (``anonymous`` when no keys are configured): recorded with its work."""
    role: Role
    override_profiles: bool = False

    @property
    def asker(self) -> Asker:
        """What the agent records of this caller."""
        return Asker(name=self.name, override_profiles=self.override_profiles)


ANONYMOUS = Caller(name="anonymous", role=Role.ADMIN, override_profiles=False)


class RateLimiter:
    """A token bucket per caller: ``rate`` requests per second, bursts up to ``burst``.

    Per process: with several workers each holds its own buckets."""

    def __init__(
        self, rate: float, burst: int, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._now = monotonic

    def take(self, who: str) -> float:
        """0 when a request may go now, else the seconds until one may."""
        if self._rate <= 0:
            return 0.0
        now = self._now()
        with self._lock:
            tokens, last = self._buckets.get(who, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if tokens >= 1:
                self._buckets[who] = (tokens - 1, now)
                return 0.0
            self._buckets[who] = (tokens, now)
            return (1 - tokens) / self._rate


_bearer = HTTPBearer(auto_error=False)


async def authorize(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller, once the key is known, its role may call this route and its rate allows."""
    caller = _identify(settings.api_keys, credentials)
    request.state.caller = caller.name  # for the request log
    route = request.scope.get("route")
    key = (request.method, getattr(route, "path", request.url.path))
    allowed = ACCESS.get(key, frozenset())
    if caller.role not in allowed:
        needs = " or ".join(sorted(allowed)) or "a route in the access table"
        raise NextbestError(
            f"role {caller.role.value!r} ({caller.name}) may not {key[0]} {key[1]} (needs {needs})",
            ErrorCode.FORBIDDEN,
        )
    limiter: RateLimiter = request.app.state.limiter
    bucket = caller.name if caller is not ANONYMOUS else f"ip:{_client(request)}"
    wait = limiter.take(bucket)
    if wait > 0:
        raise NextbestError(
            f"rate limit of {settings.rate_limit_per_s:g} requests/s for {caller.name!r}; "
            f"retry in {wait:.2f} s",
            ErrorCode.RATE_LIMITED,
            retry_after=math.ceil(wait),
        )
    return caller


def _identify(keys: Sequence[ApiKey], credentials: HTTPAuthorizationCredentials | None) -> Caller:
    if not keys:
        return ANONYMOUS
    if credentials is None:
        raise NextbestError(
            "missing Authorization: Bearer <key>", ErrorCode.UNAUTHORIZED, field="Authorization"
        )
    found = find_key(keys, credentials.credentials)
    if found is None:
        raise NextbestError("invalid API key", ErrorCode.UNAUTHORIZED, field="Authorization")
    return Caller(name=found.name, role=found.role, override_profiles=found.override_profiles)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


CallerDep = Annotated[Caller, Depends(authorize)]

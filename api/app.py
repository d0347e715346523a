"""The FastAPI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from agent.service import Decider
from api.auth import RateLimiter, authorize
from api.deps import forbid_unknown_query
from api.errors import install_error_handlers
from api.limits import BodyLimit, SecurityHeaders
from api.routes import (
    briefings,
    customers,
    decide,
    decisions,
    health,
    kpis,
    outcomes,
    playbooks,
)
from api.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, decider: Decider | None = None) -> FastAPI:
    """The app; it builds its own Decider from ``settings`` unless one is given (tests)."""
    settings = settings or Settings()
    settings.check_serving()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = decider is None
        app.state.decider = decider or await asyncio.to_thread(
            Decider.build, settings.to_agent_config()
        )
        try:
            yield
        finally:
            if owned:
                await app.state.decider.aclose()

    app = FastAPI(
        title="nextbest",
        version="0.1.0",
        summary="A governed next-best-action agent: decide, guard, record, brief.",
        lifespan=lifespan,
        dependencies=[Depends(forbid_unknown_query)],
    )
    app.state.settings = settings
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    if decider is not None:
        app.state.decider = decider
    install_error_handlers(app)
    app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    secured = [Depends(authorize)]
    for module in (decide, briefings, decisions, outcomes, kpis, customers, playbooks):
        app.include_router(module.router, dependencies=secured)
    app.include_router(health.router)
    return app

"""The FastAPI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI

from agent.approvals.webhook import WebhookSender
from agent.service import Decider
from agent.tracing import configure_tracing, shutdown_tracing
from api.auth import RateLimiter, authorize
from api.deps import forbid_unknown_query
from api.errors import install_error_handlers
from api.limits import BodyLimit, SecurityHeaders
from api.request_log import RequestLog, configure_logging
from api.routes import (
    approvals,
    audit,
    briefings,
    customers,
    decide,
    decisions,
    health,
    kpis,
    metrics,
    outcomes,
    playbooks,
    reviews,
)
from api.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("nextbest.api")


async def _sign_once(decider: Decider) -> None:
    try:
        await decider.sign_checkpoint()
    except Exception:  # signing reports, it never takes the service down
        log.exception("audit: signing a checkpoint failed (run nextbest audit verify)")


async def _sign_checkpoints(app: FastAPI, every_s: int) -> None:
    """Sign the chain's head as the server starts, then every ``every_s`` seconds."""
    while True:
        await _sign_once(app.state.decider)
        await asyncio.sleep(every_s)


async def _sweep_approvals(app: FastAPI, settings: Settings) -> None:
    """Every ``approval_sweep_s``: expire overdue approvals, finish releases a failure or a
    crash interrupted, and deliver the releases to the webhook."""
    config = app.state.decider.deps.config
    async with httpx.AsyncClient(timeout=10.0) as client:
        sender = None
        if config.approval_webhook_url is not None and config.approval_webhook_secret:
            sender = WebhookSender(
                str(config.approval_webhook_url),
                config.approval_webhook_secret.get_secret_value().encode(),
                client,
                clock=app.state.decider.deps.clock,
            )
        while True:
            try:
                await app.state.decider.approvals.sweep()
                if sender is not None:
                    await app.state.decider.approvals.deliver(sender)
            except Exception:  # the sweep reports, it never takes the service down
                log.exception("approvals: the sweep failed; the next one tries again")
            await asyncio.sleep(settings.approval_sweep_s)


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
        signing = None
        if settings.audit_checkpoint_s > 0:
            signing = asyncio.create_task(_sign_checkpoints(app, settings.audit_checkpoint_s))
        if settings.otel_endpoint is not None:
            configure_tracing(str(settings.otel_endpoint))
        sweeping = asyncio.create_task(_sweep_approvals(app, settings))
        try:
            yield
        finally:
            sweeping.cancel()
            if signing is not None:
                signing.cancel()
                await _sign_once(app.state.decider)  # the head as the server leaves it
            if owned:
                await app.state.decider.aclose()
            shutdown_tracing()  # send the spans still batched

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
    if settings.log_format == "json":
        configure_logging("json")  # here, so that every worker process logs the same way
        app.add_middleware(RequestLog)  # outermost: it sees every status, 413s included
    if decider is not None:
        app.state.decider = decider
    install_error_handlers(app)
    app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    secured = [Depends(authorize)]
    for module in (
        decide,
        briefings,
        decisions,
        outcomes,
        reviews,
        approvals,
        kpis,
        customers,
        playbooks,
        audit,
    ):
        app.include_router(module.router, dependencies=secured)
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app

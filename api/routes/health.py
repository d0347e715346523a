"""Liveness and readiness (no auth: probes call them)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import DeciderDep

__all__ = ["router"]

router = APIRouter(tags=["health"])

log = logging.getLogger("nextbest.api")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(decider: DeciderDep) -> JSONResponse:
    """Every backing component answers (503 otherwise).

    The answer names the failing component and the error type; the full error (which may hold
    paths or hosts) goes to the log only, since this route is open to anyone who can reach it.
    """
    checks = await decider.check_ready()
    public: dict[str, str] = {}
    for name, result in checks.items():
        if result == "ok":
            public[name] = "ok"
        else:
            log.warning("readiness: %s failed: %s", name, result)
            public[name] = ":".join(result.split(":", 2)[:2])
    ready = all(v == "ok" for v in public.values())
    return JSONResponse(
        status_code=200 if ready else 503, content={"ready": ready, "checks": public}
    )

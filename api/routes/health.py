"""Liveness and readiness (no auth: probes call them)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import DeciderDep
from api.openapi import errors

__all__ = ["Readiness", "router"]

router = APIRouter(tags=["health"])

log = logging.getLogger("nextbest.api")


class Readiness(BaseModel):
    """What /readyz answers, with 200 when ready and 503 when not."""

    ready: bool = Field(description="True when every backing component answers.")
    checks: dict[str, str] = Field(
        description="Per component (customers, decision_log, playbooks): ok, or error: and the "
        "error's type, e.g. error: OperationalError (details go to the server log only)."
    )


def _example(value: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"example": value}}


@router.get(
    "/healthz",
    responses={
        200: {"content": _example({"status": "ok"})},
        **errors(422, variants=("unknown_query",)),
    },
)
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: {
            "model": Readiness,
            "description": "Ready",
            "content": _example(
                {
                    "ready": True,
                    "checks": {"customers": "ok", "decision_log": "ok", "playbooks": "ok"},
                }
            ),
        },
        503: {
            "model": Readiness,
            "description": "Not ready: a component failed",
            "content": _example(
                {
                    "ready": False,
                    "checks": {
                        "customers": "error: OperationalError",
                        "decision_log": "ok",
                        "playbooks": "ok",
                    },
                }
            ),
        },
        **errors(422, variants=("unknown_query",)),
    },
)
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

"""The bare endpoint of :mod:`evals.bench`: FastAPI under uvicorn, the same body parsed into a
model, a fixed answer. What serving a request costs before any deciding."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

__all__ = ["app"]

app = FastAPI()


class _Request(BaseModel):
    customer_id: str
    context: dict[str, Any]


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/decide")
async def decide(request: _Request) -> dict[str, Any]:
    return {"customer_id": request.customer_id, "action": {"type": "no_action", "args": {}}}

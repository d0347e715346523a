"""The release webhook: each release POSTed to the configured URL, signed, retried.

The body is JSON; ``X-Nextbest-Signature: t=<unix seconds>,v1=<hex>`` carries an HMAC-SHA256
of ``<t>.<body>`` under the shared secret (the receiver recomputes it, and refuses a stale
``t`` to stop replays); ``Idempotency-Key`` is the approval id, the same on every retry.
Timeouts, dropped connections, 429 and 5xx are retried with exponential backoff (tenacity);
other answers are final. Deliveries live in an outbox row written with the release, so a
release whose delivery failed, or that a restart interrupted, is sent again later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from agent.approvals.models import Approval, ApprovalStatus
from tools import ActionCall

__all__ = ["SIGNATURE_HEADER", "ReleaseEvent", "WebhookError", "WebhookSender", "payload", "sign"]

SIGNATURE_HEADER = "X-Nextbest-Signature"


class WebhookError(RuntimeError):
    """The receiver did not take the delivery (after retries, or with a final answer)."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class ReleaseEvent(BaseModel):
    """The webhook's body: what a receiver needs to act on a release."""

    model_config = ConfigDict(frozen=True)

    event: Literal["approval.released"] = "approval.released"
    approval_id: str
    decision_id: str = Field(description="The decision that waited.")
    customer_id: str
    status: ApprovalStatus = Field(description="The verdict: approved, rejected or expired.")
    decided_by: str | None
    reason: str | None
    released_decision_id: str | None = Field(description="The decision released: carry it out.")
    released_action: ActionCall | None


def payload(approval: Approval) -> ReleaseEvent:
    return ReleaseEvent(
        approval_id=approval.approval_id,
        decision_id=approval.decision_id,
        customer_id=approval.customer_id,
        status=approval.status,
        decided_by=approval.decided_by,
        reason=approval.reason,
        released_decision_id=approval.released_decision_id,
        released_action=approval.released_action,
    )


def _retryable(error: BaseException) -> bool:
    if isinstance(error, httpx.TransportError):  # timeouts, refused and dropped connections
        return True
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code == 429 or error.response.status_code >= 500
    return False


class WebhookSender:
    def __init__(
        self,
        url: str,
        secret: bytes,
        client: httpx.AsyncClient,
        *,
        clock: Callable[[], datetime],
        attempts: int = 5,
        backoff_s: float = 0.5,
    ) -> None:
        self._url = url
        self._secret = secret
        self._client = client
        self._clock = clock
        self._attempts = attempts
        self._backoff_s = backoff_s

    async def send(self, approval: Approval) -> None:
        """Deliver one release; raises WebhookError when it could not."""
        body = payload(approval).model_dump_json().encode()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff_s, max=30),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    timestamp = int(self._clock().timestamp())
                    response = await self._client.post(
                        self._url,
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
                            "Idempotency-Key": approval.approval_id,
                            "X-Nextbest-Event": "approval.released",
                        },
                    )
                    response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise WebhookError(f"{self._url} answered {exc.response.status_code}") from None
        except httpx.TransportError as exc:
            raise WebhookError(f"{self._url} unreachable: {type(exc).__name__}") from None

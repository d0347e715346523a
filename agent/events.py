"""Interaction events: the recent cues of a customer's journey."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from agent.privacy.scrub import scrub
from tools import AttributeKey, Channel, Scalar

__all__ = ["KNOWN_EVENT_TYPES", "Event", "EventType", "dwell_seconds", "scrub_event"]

EventType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

KNOWN_EVENT_TYPES: dict[str, str] = {
    "page_view": "viewed a web page or app screen (properties: page, page_type, dwell_seconds)",
    "search": "searched the site or help center (properties: query)",
    "login_success": "signed in",
    "login_failed": "a failed sign-in attempt (properties: reason)",
    "password_reset_requested": "asked for a password reset",
    "password_reset_completed": "finished a password reset",
    "account_locked": "the account was locked",
    "error": "saw an error (properties: code, page)",
    "contact": "contacted us: call, chat, email (properties: reason); free text in text",
    "transfer": "was transferred between agents or queues (properties: from_queue, to_queue)",
    "chat_message": "a chat message from the customer; free text in text",
    "survey_response": "answered a survey (properties: nps or csat); free text in text",
    "payment_failed": "a payment failed (properties: amount, reason)",
    "invoice_viewed": "opened an invoice (properties: invoice_id, amount)",
    "cart_updated": "added or removed items (properties: value, items)",
    "checkout_started": "started checkout (properties: value)",
    "checkout_abandoned": "left checkout before paying (properties: value, step)",
    "order_placed": "placed an order (properties: order_id, value)",
    "trial_started": "started a trial (properties: plan)",
    "feature_used": "used a product feature (properties: feature)",
    "onboarding_step": "finished an onboarding step (properties: step, completed)",
    "claim_submitted": "submitted an insurance claim (properties: claim_id)",
    "claim_status_viewed": "checked a claim's status (properties: claim_id, status)",
    "booking_confirmed": "confirmed a booking (properties: booking_id, departure)",
    "renewal_notice_sent": "was sent a renewal notice",
    "plan_downgrade_viewed": "looked at downgrading or cancelling",
    "message_sent": "we sent the customer a message (properties: template_id)",
}
"""Event types the signals understand; other well-formed types are kept and shown, not scored."""


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")] = Field(
        description="Stable event id, e.g. evt_01J..."
    )
    ts: AwareDatetime = Field(
        description="When it happened, timezone-aware, e.g. 2026-11-20T20:25:00Z."
    )
    channel: Channel = Field(description="Where it happened.")
    type: EventType = Field(
        description="Snake-case event type, e.g. login_failed, contact, checkout_abandoned; "
        "unknown well-formed types are kept and shown, not scored."
    )
    properties: dict[AttributeKey, Scalar] = Field(
        default_factory=dict,
        max_length=50,
        description='Up to 50 scalar details, e.g. {"page": "/help/billing", '
        '"dwell_seconds": 180}.',
    )
    text: str | None = Field(
        default=None, max_length=4000, description="Customer free text, if any."
    )


def dwell_seconds(event: Event) -> int:
    """How long a page was read (``properties.dwell_seconds``); 0 when absent or not a number."""
    value = event.properties.get("dwell_seconds")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def scrub_event(event: Event) -> Event:
    """The event with its text and text properties scrubbed of contacts, card numbers and IBANs
    (what is stored or reasoned on never holds them)."""
    text = scrub(event.text) if event.text else event.text
    properties = {k: scrub(v) if isinstance(v, str) else v for k, v in event.properties.items()}
    if text == event.text and properties == event.properties:
        return event
    return event.model_copy(update={"text": text, "properties": properties})

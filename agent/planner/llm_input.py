"""What the LLM planner sees: a minimized profile, and untrusted text kept apart as data.

Only the fields a plan needs leave the process. Names, identities, contact details, free-form
attributes and exact vulnerability flags are left out (the record lists which), e-mail
addresses, phone numbers, card numbers and IBANs inside free text are masked, and every text a
customer or a playbook author wrote travels inside an ``[untrusted_data]`` block the system
prompt declares to be data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent.context import RequestContext
from agent.events import Event
from agent.playbooks.model import PlaybookHit
from agent.privacy.scrub import scrub
from agent.profile import Case, Profile
from agent.signals.models import Signals
from policies import Precheck
from tools import Channel, Purpose

__all__ = [
    "EVENTS_SHOWN",
    "CaseView",
    "PlannerProfile",
    "ProductView",
    "case_view",
    "data_block",
    "event_view",
    "mask_text",
    "minimize",
    "playbook_view",
]

EVENTS_SHOWN = 30
"""The newest events the model sees (fewer when its token budget is tight)."""


def mask_text(text: str) -> str:
    """The text with e-mail addresses, phone numbers, card numbers and IBANs replaced by
    placeholders (:func:`agent.privacy.scrub`)."""
    return scrub(text)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProductView(_View):
    name: str
    kind: str
    status: str
    end_date: date | None
    monthly_price: Decimal | None


class CaseView(_View):
    id: str
    type: str
    status: str
    opened_at: datetime


class PlannerProfile(_View):
    """The profile as the planner sees it: no name, identities, contacts or free attributes."""

    tier: str
    tenure_months: int | None
    segment: str | None
    language: str
    timezone: str
    currency: str
    preferred_channel: Channel | None
    products: list[ProductView]
    open_cases: list[CaseView]
    vulnerable: bool
    churn_risk: float | None
    permitted_channels: dict[Purpose, list[Channel]]


_LEFT_OUT = ("customer_id", "name", "identities", "attributes", "lifetime_value", "nps", "csat")


def case_view(case: Case) -> CaseView:
    return CaseView(id=case.id, type=case.type, status=case.status, opened_at=case.opened_at)


def _open_cases(profile: Profile, pre: Precheck) -> list[CaseView]:
    """The profile's open cases, then those events and our decisions opened."""
    views = [case_view(c) for c in profile.active_cases]
    known = {v.id for v in views}
    views += [
        CaseView(
            id=c.case_id,
            type=c.case_type,
            status="open" if c.status == "executed" else "being opened",
            opened_at=c.opened_at,
        )
        for c in pre.open_cases
        if c.case_id not in known
    ]
    return views


def minimize(profile: Profile, now: datetime, pre: Precheck) -> tuple[PlannerProfile, list[str]]:
    """The planner's profile, and the paths of the fields masked or left out on the way."""
    view = PlannerProfile(
        tier=profile.tier.value,
        tenure_months=profile.tenure_months(now),
        segment=profile.segment,
        language=profile.language,
        timezone=profile.timezone,
        currency=profile.currency,
        preferred_channel=profile.preferred_channel,
        products=[
            ProductView(
                name=p.name,
                kind=p.kind,
                status=p.status,
                end_date=p.end_date,
                monthly_price=p.monthly_price,
            )
            for p in profile.products
        ],
        open_cases=_open_cases(profile, pre),
        vulnerable=bool(profile.vulnerability_flags),
        churn_risk=profile.churn_risk,
        permitted_channels=dict(pre.channels),
    )
    present = profile.model_dump(exclude_defaults=True)
    masked = [f"profile.{name}" for name in _LEFT_OUT if present.get(name) not in (None, [], {})]
    if profile.consents:
        masked.append("profile.consents (as permitted channels)")
    if profile.vulnerability_flags:
        masked.append("profile.vulnerability_flags (as a yes/no)")
    if any(c.summary for c in profile.open_cases):
        masked.append("profile.open_cases.summary")
    return view, masked


def event_view(event: Event) -> dict[str, Any]:
    """An event for the data block, its free text and string properties masked."""
    properties = {k: mask_text(v) if isinstance(v, str) else v for k, v in event.properties.items()}
    return {
        "id": event.id,
        "ts": event.ts.isoformat(),
        "channel": event.channel.value,
        "type": event.type,
        "properties": properties,
        "text": mask_text(event.text) if event.text else None,
    }


def playbook_view(hit: PlaybookHit) -> dict[str, Any]:
    playbook = hit.playbook
    return {
        "id": playbook.id,
        "version": playbook.version,
        "title": playbook.title,
        "similarity": round(hit.score, 3),
        "conditions_met": hit.conditions_met,
        "actions": [{"type": a.type.value, "args": a.args} for a in playbook.actions],
        "talk_track": playbook.talk_track,
        "guidance": playbook.body,
    }


def data_block(tag: str, payload: object) -> str:
    """``payload`` as JSON between ``[tag]`` and ``[/tag]``: square brackets and a slash, which
    no chat template escapes (llama-cpp-python's function-calling template HTML-escapes message
    text, and an ``<untrusted_data>`` tag reached the model as ``&lt;untrusted_data&gt;``).
    Nothing inside can close the block early: a slash in the JSON (only ever inside a string)
    is written ``\\/``, and angle brackets ``\\u003c``/``\\u003e``."""
    text = json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))
    text = text.replace("/", "\\/").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"[{tag}]\n{text}\n[/{tag}]"


def planner_data(
    *,
    profile: PlannerProfile,
    signals: Signals,
    events: Sequence[Event],
    context: RequestContext,
    hits: Sequence[PlaybookHit],
) -> str:
    """The user message: the customer (trusted, ours) and the untrusted data, each delimited."""
    untrusted = {
        "interaction": {
            "channel": context.channel,
            "direction": context.direction,
            "journey": context.journey,
            "stated_reason": mask_text(context.reason) if context.reason else None,
        },
        "signals": json.loads(mask_text(signals.model_dump_json())),
        "recent_events": [event_view(e) for e in events[-EVENTS_SHOWN:]],
        "playbooks": [playbook_view(h) for h in hits],
    }
    return "\n\n".join(
        [
            "Decide the next best action for this customer.",
            data_block("customer", profile.model_dump(mode="json")),
            data_block("untrusted_data", untrusted),
        ]
    )

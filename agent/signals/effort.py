"""Effort: how hard the customer has had to work: contacts, transfers, failures, help reading.

Formula (monotone, saturating, each part readable in the evidence)::

    score = min(1, sum(weight_c * min(count_c, cap_c) / cap_c))

    component        window  cap    weight  per unit
    repeat contacts  7 d     3      0.45    0.15 per contact (the current inbound one counts)
    transfers        7 d     2      0.35    0.175 per transfer
    failed logins    24 h    3      0.30    0.10 per failed login
    errors           24 h    3      0.25    0.083 per error
    help dwell       24 h    600 s  0.20    0.02 per minute on help pages

The weights sum to 1.55, so no single part reaches 'high' alone but two saturated parts do.
Levels: low < 0.34 <= medium < 0.67 <= high.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.context import RequestContext
from agent.events import Event, dwell_seconds
from agent.signals.cues import ago, in_window
from agent.signals.models import EffortSignal, Evidence, Level

__all__ = ["EFFORT_COMPONENTS", "EffortComponent", "effort_level", "score_effort"]


@dataclass(frozen=True, slots=True)
class EffortComponent:
    name: str
    window: timedelta
    cap: float
    weight: float

    def points(self, amount: float) -> float:
        return self.weight * min(max(amount, 0.0), self.cap) / self.cap


CONTACTS = EffortComponent("repeat_contacts", timedelta(days=7), 3, 0.45)
TRANSFERS = EffortComponent("transfers", timedelta(days=7), 2, 0.35)
FAILED_LOGINS = EffortComponent("failed_logins", timedelta(hours=24), 3, 0.30)
ERRORS = EffortComponent("errors", timedelta(hours=24), 3, 0.25)
HELP_DWELL = EffortComponent("help_dwell_seconds", timedelta(hours=24), 600, 0.20)
EFFORT_COMPONENTS: tuple[EffortComponent, ...] = (
    CONTACTS,
    TRANSFERS,
    FAILED_LOGINS,
    ERRORS,
    HELP_DWELL,
)


def effort_level(score: float) -> Level:
    if score < 0.34:
        return "low"
    if score < 0.67:
        return "medium"
    return "high"


def _dwell(event: Event) -> int:
    return dwell_seconds(event) if event.properties.get("page_type") == "help" else 0


def _count(
    component: EffortComponent, events: Sequence[Event], now: datetime, event_type: str
) -> tuple[list[Event], list[Evidence]]:
    counted = in_window(events, now, component.window, (event_type,))
    per_unit = component.points(1)
    evidence = [
        Evidence(
            source="event",
            ref=e.id,
            detail=f"{event_type} {ago(e.ts, now)} counts toward {component.name}"
            f" (+{per_unit:.3f} until {component.cap:g})",
        )
        for e in counted
    ]
    return counted, evidence


def score_effort(events: Sequence[Event], context: RequestContext, now: datetime) -> EffortSignal:
    contacts, evidence = _count(CONTACTS, events, now, "contact")
    repeat_contacts = len(contacts)
    if context.direction == "inbound":
        repeat_contacts += 1
        evidence.append(
            Evidence(
                source="context",
                ref="context.direction",
                detail=f"the current inbound contact counts toward {CONTACTS.name}",
            )
        )
    transfers, more = _count(TRANSFERS, events, now, "transfer")
    evidence += more
    failed, more = _count(FAILED_LOGINS, events, now, "login_failed")
    evidence += more
    errors, more = _count(ERRORS, events, now, "error")
    evidence += more
    help_views = [
        e for e in in_window(events, now, HELP_DWELL.window, ("page_view",)) if _dwell(e) > 0
    ]
    dwell = sum(_dwell(e) for e in help_views)
    evidence += [
        Evidence(
            source="event",
            ref=e.id,
            detail=f"{_dwell(e)} s on help page {e.properties.get('page')!s} {ago(e.ts, now)}",
        )
        for e in help_views
    ]
    parts = (
        CONTACTS.points(repeat_contacts),
        TRANSFERS.points(len(transfers)),
        FAILED_LOGINS.points(len(failed)),
        ERRORS.points(len(errors)),
        HELP_DWELL.points(dwell),
    )
    score = round(min(1.0, sum(parts)), 4)
    return EffortSignal(
        score=score,
        level=effort_level(score),
        repeat_contacts_7d=repeat_contacts,
        transfers=len(transfers),
        failed_logins=len(failed),
        errors=len(errors),
        help_dwell_seconds=dwell,
        evidence=evidence,
    )

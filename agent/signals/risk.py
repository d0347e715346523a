"""Risk: churn risk after the cues, from the profile's model score plus documented bumps.

    churn = clamp(base + sum(bumps), 0, 1)     base = profile.churn_risk, or 0.2 when unknown

    factor              bump   when
    negative_sentiment  0.10   sentiment label is negative
    high_effort         0.15   effort level is high
    escalating          0.10   journey stage is escalating
    renewal_due         0.10   an active or trial product ends within 30 days
    downgrade_viewed    0.15   plan_downgrade_viewed in the last 14 days
    open_complaint      0.10   an open case of type complaint
    nps_detractor       0.10   NPS <= 6 (latest survey_response with nps, else profile.nps)

Levels: low < 0.4 <= medium < 0.7 <= high.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from agent.events import Event
from agent.profile import Profile
from agent.signals.cues import ago, in_window
from agent.signals.models import (
    EffortSignal,
    Evidence,
    JourneySignal,
    Level,
    RiskSignal,
    SentimentSignal,
)

__all__ = ["BUMPS", "DEFAULT_CHURN", "RiskFactor", "risk_level", "score_risk"]

DEFAULT_CHURN = 0.2
RENEWAL_WITHIN = timedelta(days=30)
DOWNGRADE_WITHIN = timedelta(days=14)
DETRACTOR_MAX = 6


class RiskFactor(StrEnum):
    NEGATIVE_SENTIMENT = "negative_sentiment"
    HIGH_EFFORT = "high_effort"
    ESCALATING = "escalating"
    RENEWAL_DUE = "renewal_due"
    DOWNGRADE_VIEWED = "downgrade_viewed"
    OPEN_COMPLAINT = "open_complaint"
    NPS_DETRACTOR = "nps_detractor"


BUMPS: Mapping[RiskFactor, float] = MappingProxyType(
    {
        RiskFactor.NEGATIVE_SENTIMENT: 0.10,
        RiskFactor.HIGH_EFFORT: 0.15,
        RiskFactor.ESCALATING: 0.10,
        RiskFactor.RENEWAL_DUE: 0.10,
        RiskFactor.DOWNGRADE_VIEWED: 0.15,
        RiskFactor.OPEN_COMPLAINT: 0.10,
        RiskFactor.NPS_DETRACTOR: 0.10,
    }
)


def risk_level(churn: float) -> Level:
    if churn < 0.4:
        return "low"
    if churn < 0.7:
        return "medium"
    return "high"


def _nps(profile: Profile, events: Sequence[Event], now: datetime) -> tuple[int, Evidence] | None:
    for event in reversed([e for e in events if e.type == "survey_response" and e.ts <= now]):
        nps = event.properties.get("nps")
        if isinstance(nps, int) and not isinstance(nps, bool):
            return nps, Evidence(
                source="event", ref=event.id, detail=f"NPS {nps} {ago(event.ts, now)}"
            )
    if profile.nps is not None:
        return profile.nps, Evidence(
            source="profile", ref="profile.nps", detail=f"NPS {profile.nps}"
        )
    return None


def _from(refs: Sequence[Evidence], index: int, fallback: str, detail: str) -> Evidence:
    """Evidence pointing where a derived signal's own evidence points."""
    if not refs:
        return Evidence(source="context", ref=fallback, detail=detail)
    ref = refs[index]
    return Evidence(source=ref.source, ref=ref.ref, detail=detail)


def _renewal(profile: Profile, now: datetime) -> Evidence | None:
    today = now.date()
    for index, product in enumerate(profile.products):
        end = product.end_date
        if end is None or product.status not in ("active", "trial"):
            continue
        if today <= end <= today + RENEWAL_WITHIN:
            return Evidence(
                source="profile",
                ref=f"profile.products[{index}].end_date",
                detail=f"{product.name} renews or ends on {end.isoformat()}",
            )
    return None


def _complaint(profile: Profile) -> Evidence | None:
    for index, case in enumerate(profile.open_cases):
        if case.type == "complaint" and case.status.is_open:
            return Evidence(
                source="profile",
                ref=f"profile.open_cases[{index}]",
                detail=f"open complaint {case.id} ({case.status.value})",
            )
    return None


def _downgrade(events: Sequence[Event], now: datetime) -> Evidence | None:
    seen = in_window(events, now, DOWNGRADE_WITHIN, ("plan_downgrade_viewed",))
    if not seen:
        return None
    last = seen[-1]
    return Evidence(
        source="event", ref=last.id, detail=f"looked at downgrading {ago(last.ts, now)}"
    )


def _detractor(profile: Profile, events: Sequence[Event], now: datetime) -> Evidence | None:
    nps = _nps(profile, events, now)
    return nps[1] if nps is not None and nps[0] <= DETRACTOR_MAX else None


def _factors(
    profile: Profile,
    events: Sequence[Event],
    signals: tuple[SentimentSignal, EffortSignal, JourneySignal],
    now: datetime,
) -> list[tuple[RiskFactor, Evidence]]:
    sentiment, effort, journey = signals
    candidates: list[tuple[RiskFactor, Evidence | None]] = [
        (
            RiskFactor.NEGATIVE_SENTIMENT,
            _from(
                sentiment.evidence,
                0,
                "context.reason",
                f"negative sentiment ({sentiment.compound:+.2f})",
            )
            if sentiment.label == "negative"
            else None,
        ),
        (
            RiskFactor.HIGH_EFFORT,
            _from(effort.evidence, -1, "context.direction", f"high effort ({effort.score:.2f})")
            if effort.level == "high"
            else None,
        ),
        (
            RiskFactor.ESCALATING,
            _from(journey.evidence, -1, "context.direction", "journey stage is escalating")
            if journey.stage == "escalating"
            else None,
        ),
        (RiskFactor.RENEWAL_DUE, _renewal(profile, now)),
        (RiskFactor.DOWNGRADE_VIEWED, _downgrade(events, now)),
        (RiskFactor.OPEN_COMPLAINT, _complaint(profile)),
        (RiskFactor.NPS_DETRACTOR, _detractor(profile, events, now)),
    ]
    return [(factor, item) for factor, item in candidates if item is not None]


def score_risk(
    profile: Profile,
    events: Sequence[Event],
    sentiment: SentimentSignal,
    effort: EffortSignal,
    journey: JourneySignal,
    now: datetime,
) -> RiskSignal:
    """Churn risk from ``profile.churn_risk`` plus the bumps of the factors that apply."""
    if profile.churn_risk is None:
        base = DEFAULT_CHURN
        evidence = [
            Evidence(
                source="profile",
                ref="profile.churn_risk",
                detail=f"unknown; baseline {DEFAULT_CHURN:.2f}",
            )
        ]
    else:
        base = profile.churn_risk
        evidence = [
            Evidence(source="profile", ref="profile.churn_risk", detail=f"model score {base:.2f}")
        ]
    found = _factors(profile, events, (sentiment, effort, journey), now)
    churn = base
    for factor, item in found:
        churn += BUMPS[factor]
        evidence.append(item.model_copy(update={"detail": f"{item.detail}: +{BUMPS[factor]:.2f}"}))
    churn = round(min(1.0, max(0.0, churn)), 4)
    return RiskSignal(
        churn=churn,
        level=risk_level(churn),
        factors=[factor.value for factor, _ in found],
        evidence=evidence,
    )

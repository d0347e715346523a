from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from agent.events import Event
from agent.profile import Case, CaseStatus, Profile
from agent.signals.models import EffortSignal, Evidence, JourneySignal, SentimentSignal
from agent.signals.risk import score_risk

EventFactory = Callable[..., Event]
D = timedelta(days=1)
CALM = SentimentSignal(compound=0.3, label="positive", texts_scored=1)
ANGRY = SentimentSignal(
    compound=-0.7,
    label="negative",
    texts_scored=1,
    evidence=[Evidence(source="context", ref="context.reason", detail="compound -0.70")],
)
EASY = EffortSignal(
    score=0.1,
    level="low",
    repeat_contacts_7d=0,
    transfers=0,
    failed_logins=0,
    errors=0,
    help_dwell_seconds=0,
)
HARD = EASY.model_copy(update={"score": 0.8, "level": "high", "transfers": 2})
STEADY = JourneySignal(journey=None, stage="exploring")
ESCALATING = JourneySignal(
    journey="billing_dispute",
    stage="escalating",
    evidence=[Evidence(source="event", ref="evt_77", detail="escalating: 3 contacts")],
)


def _profile(**fields: object) -> Profile:
    return Profile.model_validate({"customer_id": "cus_1", **fields})


def _product(end: date | None, status: str = "active") -> dict[str, object]:
    return {"id": "sub_1", "name": "Fibre 500", "status": status, "end_date": end}


def _complaint(status: CaseStatus) -> Case:
    return Case(
        id="case_9",
        type="complaint",
        status=status,
        opened_at=datetime(2025, 3, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("fields", "churn", "factors"),
    [
        pytest.param({}, 0.2, [], id="unknown-base"),
        pytest.param({"churn_risk": 0.55}, 0.55, [], id="model-base"),
        pytest.param({"nps": 6}, 0.3, ["nps_detractor"], id="nps-6"),
        pytest.param({"nps": 7}, 0.2, [], id="nps-7-passive"),
        pytest.param(
            {"products": [_product(date(2025, 4, 10))]}, 0.3, ["renewal_due"], id="renews-in-27d"
        ),
        pytest.param({"products": [_product(date(2025, 4, 20))]}, 0.2, [], id="renews-in-37d"),
        pytest.param({"products": [_product(date(2025, 3, 1))]}, 0.2, [], id="already-ended"),
        pytest.param(
            {"products": [_product(date(2025, 4, 10), "cancelled")]},
            0.2,
            [],
            id="cancelled-product",
        ),
        pytest.param(
            {"open_cases": [_complaint(CaseStatus.ESCALATED)]},
            0.3,
            ["open_complaint"],
            id="open-complaint",
        ),
        pytest.param(
            {"open_cases": [_complaint(CaseStatus.RESOLVED)]}, 0.2, [], id="resolved-complaint"
        ),
    ],
)
def test_profile_bumps(
    now: datetime, fields: dict[str, object], churn: float, factors: list[str]
) -> None:
    signal = score_risk(_profile(**fields), [], CALM, EASY, STEADY, now)

    assert signal.churn == pytest.approx(churn)
    assert signal.factors == factors
    assert signal.evidence[0].ref == "profile.churn_risk"
    assert len(signal.evidence) == 1 + len(factors)


@pytest.mark.parametrize(
    ("sentiment", "effort", "journey", "churn", "factors"),
    [
        pytest.param(ANGRY, EASY, STEADY, 0.3, ["negative_sentiment"], id="angry"),
        pytest.param(CALM, HARD, STEADY, 0.35, ["high_effort"], id="high-effort"),
        pytest.param(CALM, EASY, ESCALATING, 0.3, ["escalating"], id="escalating"),
        pytest.param(
            ANGRY,
            HARD,
            ESCALATING,
            0.55,
            ["negative_sentiment", "high_effort", "escalating"],
            id="all-three",
        ),
    ],
)
def test_signal_bumps(
    now: datetime,
    sentiment: SentimentSignal,
    effort: EffortSignal,
    journey: JourneySignal,
    churn: float,
    factors: list[str],
) -> None:
    signal = score_risk(_profile(), [], sentiment, effort, journey, now)

    assert signal.churn == pytest.approx(churn)
    assert signal.factors == factors


@pytest.mark.parametrize(
    ("age", "bumped"),
    [
        pytest.param(13 * D, True, id="downgrade-13d"),
        pytest.param(15 * D, False, id="downgrade-15d"),
    ],
)
def test_downgrade_view_in_14_days(
    now: datetime, event: EventFactory, age: timedelta, bumped: bool
) -> None:
    viewed = event("plan_downgrade_viewed", age)

    signal = score_risk(_profile(), [viewed], CALM, EASY, STEADY, now)

    assert ("downgrade_viewed" in signal.factors) is bumped
    assert (viewed.id in {e.ref for e in signal.evidence}) is bumped


def test_latest_survey_nps_overrides_profile(now: datetime, event: EventFactory) -> None:
    survey = event("survey_response", 2 * D, nps=3)

    signal = score_risk(_profile(nps=9), [survey], CALM, EASY, STEADY, now)

    assert signal.factors == ["nps_detractor"]
    assert signal.evidence[-1].ref == survey.id


@pytest.mark.parametrize(
    ("base", "churn", "level"),
    [
        pytest.param(0.0, 0.35, "low", id="low"),
        pytest.param(0.04, 0.39, "low", id="low-below-0.4"),
        pytest.param(0.05, 0.4, "medium", id="medium-at-0.4"),
        pytest.param(0.34, 0.69, "medium", id="medium-below-0.7"),
        pytest.param(0.35, 0.7, "high", id="high-at-0.7"),
        pytest.param(0.95, 1.0, "high", id="clamped"),
    ],
)
def test_levels_and_clamping(now: datetime, base: float, churn: float, level: str) -> None:
    signal = score_risk(_profile(churn_risk=base, nps=2), [], ANGRY, HARD, STEADY, now)

    assert signal.churn == pytest.approx(churn)
    assert signal.level == level


def test_everything_at_once_clamps_to_one(now: datetime, event: EventFactory) -> None:
    profile = _profile(
        churn_risk=0.5,
        nps=1,
        products=[_product(date(2025, 3, 20))],
        open_cases=[_complaint(CaseStatus.OPEN)],
    )
    events = [event("plan_downgrade_viewed", D)]

    signal = score_risk(profile, events, ANGRY, HARD, ESCALATING, now)

    assert signal.churn == 1.0
    assert signal.level == "high"
    assert len(signal.factors) == 7
    assert all(e.detail for e in signal.evidence)

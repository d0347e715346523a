from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from agent.context import RequestContext
from agent.events import Event
from agent.profile import Profile
from agent.signals.derive import SignalDeriver
from agent.signals.sentiment import SentimentScorer

EventFactory = Callable[..., Event]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        pytest.param(
            "This is ridiculous, I was overcharged again and nobody helps!", "negative", id="angry"
        ),
        pytest.param(
            "I'm furious, third time I'm calling about the same broken router",
            "negative",
            id="furious",
        ),
        pytest.param("Thank you so much, the new plan works perfectly", "positive", id="happy"),
        pytest.param("What time does the store close on Sunday", "neutral", id="plain-request"),
    ],
)
def test_stated_reason_is_labelled(
    scorer: SentimentScorer, profile: Profile, now: datetime, text: str, label: str
) -> None:
    signal = scorer.score(profile, [], RequestContext(reason=text), now)

    assert signal.label == label
    assert signal.texts_scored == 1
    assert signal.evidence[0].ref == "context.reason"
    assert f"{signal.compound:+.2f}" in signal.evidence[0].detail


def test_no_texts_is_neutral(scorer: SentimentScorer, profile: Profile, now: datetime) -> None:
    signal = scorer.score(profile, [], RequestContext(), now)

    assert (signal.compound, signal.label, signal.texts_scored, signal.evidence) == (
        0.0,
        "neutral",
        0,
        [],
    )


def test_service_lexicon_pulls_down_sarcastic_praise(scorer: SentimentScorer) -> None:
    # VADER reads "great, another outage" by its words: plain VADER scores it exactly like
    # "great". The service lexicon ('outage' -2.5) pulls it down; the sarcasm itself stays unseen.
    assert scorer.compound("great, another outage") < scorer.compound("great") - 0.3
    assert scorer.compound("great, another outage. this is useless") <= -0.05


def test_mixed_texts_average_out(
    scorer: SentimentScorer, profile: Profile, now: datetime, event: EventFactory
) -> None:
    events = [
        event("chat_message", timedelta(hours=1), text="Thanks, the agent was lovely and helpful"),
    ]
    context = RequestContext(reason="My internet is broken again and I'm angry")

    signal = scorer.score(profile, events, context, now)
    alone = scorer.score(profile, [], context, now)

    assert signal.texts_scored == 2
    assert alone.compound < signal.compound < scorer.compound(events[0].text or "")


@pytest.mark.parametrize(
    ("angry_age", "happy_age", "label"),
    [
        pytest.param(
            timedelta(hours=2), timedelta(days=9), "negative", id="recent-anger-dominates"
        ),
        pytest.param(
            timedelta(days=9), timedelta(hours=2), "positive", id="recent-praise-dominates"
        ),
    ],
)
def test_recent_texts_weigh_more(
    scorer: SentimentScorer,
    profile: Profile,
    now: datetime,
    event: EventFactory,
    angry_age: timedelta,
    happy_age: timedelta,
    label: str,
) -> None:
    events = [
        event("contact", angry_age, text="Awful service, I'm furious and want to leave"),
        event("survey_response", happy_age, text="Great support, really happy with it"),
    ]

    signal = scorer.score(profile, sorted(events, key=lambda e: e.ts), RequestContext(), now)

    assert signal.label == label
    assert signal.texts_scored == 2


def test_half_life_halves_the_weight(
    scorer: SentimentScorer, profile: Profile, now: datetime, event: EventFactory
) -> None:
    happy = event("chat_message", timedelta(0), text="Great support, really happy with it")
    angry = event("chat_message", timedelta(days=3), text="Awful service, I'm furious")
    h, a = scorer.compound(happy.text or ""), scorer.compound(angry.text or "")

    signal = scorer.score(profile, [angry, happy], RequestContext(), now)

    assert signal.compound == pytest.approx((h + 0.5 * a) / 1.5, abs=1e-3)


@pytest.mark.parametrize(
    ("age", "counted"),
    [
        pytest.param(timedelta(days=29, hours=23), 1, id="inside-30-days"),
        pytest.param(timedelta(days=30, seconds=1), 0, id="just-outside-30-days"),
        pytest.param(-timedelta(minutes=5), 0, id="future-event-ignored"),
    ],
)
def test_window_is_thirty_days(
    scorer: SentimentScorer,
    profile: Profile,
    now: datetime,
    event: EventFactory,
    age: timedelta,
    counted: int,
) -> None:
    events = [event("contact", age, text="terrible, awful experience")]

    assert scorer.score(profile, events, RequestContext(), now).texts_scored == counted


@pytest.mark.parametrize(
    ("language", "flagged"),
    [
        pytest.param("en", False, id="en"),
        pytest.param("en-GB", False, id="en-GB"),
        pytest.param("es", True, id="es"),
        pytest.param("de-AT", True, id="de-AT"),
    ],
)
def test_vader_reads_english_only(
    scorer: SentimentScorer, now: datetime, language: str, flagged: bool
) -> None:
    profile = Profile(customer_id="cus_9", language=language)
    # "die" is English for dying: VADER would read this German request as negative.
    reason = "bitte senden Sie mir die Rechnung"

    signal = scorer.score(profile, [], RequestContext(reason=reason), now)

    notes = [e for e in signal.evidence if e.ref == "profile.language"]
    assert bool(notes) is flagged
    if flagged:
        assert "English only" in notes[0].detail
        assert signal.compound == 0.0  # no emotions given: nothing else speaks
    else:
        assert signal.compound < 0


@pytest.mark.parametrize(
    ("language", "text", "label", "emotion"),
    [
        pytest.param(
            "en",
            "thank you so much for your kindness, my husband passed away on Sunday and I need "
            "to take his name off the account",
            "negative",
            "grief",
            id="grief-in-polite-words",
        ),
        pytest.param(
            "en",
            "wow, charged me twice AGAIN, you lot are just brilliant",
            "negative",
            "sarcasm",
            id="sarcasm",
        ),
        pytest.param(
            "es",
            "estoy harta, es la tercera vez que os llamo y nadie me soluciona nada",
            "negative",
            None,
            id="es-fed-up",
        ),
        pytest.param(
            "de",
            "vielen lieben Dank, das Problem ist gelöst und alles läuft wieder",
            "positive",
            None,
            id="de-thanks",
        ),
        pytest.param(
            "en", "please send the invoice for October as a PDF", "neutral", None, id="request"
        ),
    ],
)
def test_emotions_read_what_words_miss(
    deriver: SignalDeriver,
    now: datetime,
    language: str,
    text: str,
    label: str,
    emotion: str | None,
) -> None:
    profile = Profile(customer_id="cus_9", language=language)

    signal = deriver.derive(profile, [], RequestContext(reason=text), now).sentiment

    assert signal.label == label
    if emotion is not None:
        assert signal.emotion == emotion
    assert "reads as" in signal.evidence[0].detail

"""The narrative validator as a table, and write_narrative against a respx-mocked LLM."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import respx
from pydantic import SecretStr

from agent.briefing.models import Briefing, BriefingItem, Fact
from agent.briefing.narrative import (
    MAX_CHARS,
    NARRATIVE_PROMPT_VERSION,
    check_narrative,
    write_narrative,
)
from agent.config import LLMConfig
from agent.llm import LLMClient

FACTS = [
    Fact(id="f1", source="profile", ref="profile.tier", text="tier gold"),
    Fact(
        id="f2",
        source="profile",
        ref="profile.customer_since",
        text="customer since 2019-03-01",
    ),
    Fact(
        id="f3",
        source="event",
        ref="evt_01",
        text="2026-11-20 14:03 UTC web payment_failed (amount=12.99, currency=EUR) "
        "\u2014 \u201cmy card was declined twice\u201d",
    ),
    Fact(
        id="f4",
        source="signal",
        ref="signals.sentiment",
        text="sentiment negative (-0.45) from 3 texts",
    ),
    Fact(
        id="f5",
        source="signal",
        ref="signals.effort",
        text="effort high: 3 contacts in 7 days, 1 transfers, 2 failed logins, 0 errors",
    ),
    Fact(
        id="f6",
        source="case",
        ref="case-77",
        text="billing_dispute case case-77 (open, opened 2026-11-18): "
        "Maria from Billing promised a callback",
    ),
]

GOOD = (
    "A gold tier customer since 2019-03-01 [f1, f2]. "
    "Their payment of \u20ac12.99 failed on 20 November at 14:03 UTC [f3]. "
    "They feel negative after three contacts in 7 days [f4, f5]. "
    "On the open case, Maria promised a callback [f6]."
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(GOOD, None, id="accepted-good-narrative"),
        pytest.param(
            "Gold tier customer. [f1] Customer since 2019-03-01. [f2]",
            None,
            id="accepted-citations-after-the-full-stop",
        ),
        pytest.param(
            "The card was declined twice on 2026-11-20 [f3].", None, id="accepted-number-word"
        ),
        pytest.param("Sentiment is -0.45 [f4].", None, id="accepted-signed-number"),
        pytest.param(
            "Gold tier customer [f1]. They are about to leave.",
            "sentence 2 does not end with a citation",
            id="uncited-sentence",
        ),
        pytest.param(
            "Their payment of \u20ac15.99 failed [f3].",
            "sentence 1 states '15.99'",
            id="invented-amount",
        ),
        pytest.param(
            "Their payment failed on 2026-11-21 [f3].",
            "sentence 1 states '2026-11-21'",
            id="invented-date",
        ),
        pytest.param(
            "Their payment failed on 21 November [f3].",
            "sentence 1 states '21'",
            id="invented-day-of-month",
        ),
        pytest.param(
            "Their payment failed on 20 December [f3].",
            "sentence 1 states 'December'",
            id="invented-month",
        ),
        pytest.param(
            "Their payment failed at 15:30 [f3].", "sentence 1 states '15:30'", id="invented-time"
        ),
        pytest.param("Churn risk is 80% [f4].", "sentence 1 states '80'", id="invented-percentage"),
        pytest.param(
            "They failed to log in four times [f5].",
            "sentence 1 states 'four'",
            id="invented-spelled-out-count",
        ),
        pytest.param("Sentiment is +0.45 [f4].", "sentence 1 states '+0.45'", id="sign-flipped"),
        pytest.param(
            "A gold customer with 3 contacts [f1].",
            "sentence 1 states '3'",
            id="number-from-an-uncited-fact",
        ),
        pytest.param(
            "On the open case, Jonathan promised a refund [f6].",
            "sentence 1 names 'Jonathan'",
            id="invented-name",
        ),
        pytest.param(
            "On the open case, Maria promised a callback [f1].",
            "sentence 1 names 'Maria'",
            id="name-from-an-uncited-fact",
        ),
        pytest.param(
            "Gold tier customer [f9].", "sentence 1 cites unknown fact 'f9'", id="unknown-fact-id"
        ),
        pytest.param(
            "Gold tier customer [fact 1].",
            "sentence 1 has a malformed citation '[fact 1]'",
            id="malformed-citation",
        ),
        pytest.param("   ", "the narrative is empty", id="empty"),
        pytest.param("Gold tier customer [f1]. " * 60, f"at most {MAX_CHARS}", id="overlong"),
    ],
)
def test_check_narrative(text: str, problem: str | None) -> None:
    check = check_narrative(text, FACTS)

    if problem is None:
        assert check.ok, check.problems
        assert check.problems == []
    else:
        assert not check.ok
        assert any(problem in p for p in check.problems), check.problems


def test_check_narrative_reports_every_problem() -> None:
    check = check_narrative("Jonathan paid \u20ac99 [f1]. Uncited.", FACTS)

    assert check.problems == [
        "sentence 1 states '99', which its cited facts do not",
        "sentence 2 does not end with a citation: 'Uncited.'",
    ]  # "Jonathan" opens the sentence: sentence-initial words are not taken for names


BASE = "http://llm.test/v1"
URL = f"{BASE}/chat/completions"


def briefing() -> Briefing:
    item = BriefingItem(text="Gold tier.", fact_ids=["f1"])
    return Briefing(
        briefing_id="brf_1",
        decision_id="dec_1",
        customer_id="cus_1",
        created_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        customer_summary=[item],
        trying_to_do=[],
        what_went_wrong=[],
        sentiment_and_effort=[],
        open_cases=[],
        recommended_action=[item],
        talk_track=None,
        do_not=[],
        facts=FACTS,
        narrative="Gold tier [f1].",
    )


def answer(content: str | None, refusal: str | None = None) -> httpx.Response:
    message = {"role": "assistant", "content": content, "refusal": refusal}
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "test-model",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 200, "completion_tokens": 60, "total_tokens": 260},
        },
    )


@pytest.fixture
async def router() -> AsyncIterator[respx.MockRouter]:
    async with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def client() -> AsyncIterator[LLMClient]:
    config = LLMConfig(base_url=BASE, model="test-model", api_key=SecretStr("k"), max_attempts=1)
    llm = LLMClient(config)
    yield llm
    await llm.aclose()


async def test_write_narrative_keeps_a_cited_answer(
    router: respx.MockRouter, client: LLMClient
) -> None:
    route = router.post(URL).mock(return_value=answer(GOOD))

    result, trace, reason = await write_narrative(client, briefing(), deadline=time.monotonic() + 5)

    assert reason is None
    assert result.narrative == GOOD
    assert result.narrative_source == "llm"
    assert trace is not None
    assert (trace.purpose, trace.outcome, trace.attempts) == ("narrative", "ok", 1)
    assert trace.prompt_version == NARRATIVE_PROMPT_VERSION
    assert trace.usage.total_tokens == 260
    system, user = json.loads(route.calls.last.request.content)["messages"]
    assert system["role"] == "system"
    assert "end every sentence with the ids" in system["content"].lower()
    assert user["content"].startswith("<facts>\n[f1] tier gold\n[f2] customer since 2019-03-01")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(
            "Gold tier customer [f1]. They will surely churn.",
            "does not end with a citation",
            id="uncited-claim",
        ),
        pytest.param(
            "Their payment of \u20ac49.00 failed [f3].", "states '49.00'", id="invented-number"
        ),
    ],
)
async def test_write_narrative_rejects_and_keeps_the_template(
    router: respx.MockRouter, client: LLMClient, content: str, problem: str
) -> None:
    router.post(URL).mock(return_value=answer(content))
    original = briefing()

    result, trace, reason = await write_narrative(client, original, deadline=time.monotonic() + 5)

    assert result == original
    assert result.narrative_source == "template"
    assert reason is not None
    assert reason.startswith("rejected: ")
    assert problem in reason
    assert trace is not None
    assert trace.outcome == "rejected"


async def test_write_narrative_treats_a_refusal_as_rejected(
    router: respx.MockRouter, client: LLMClient
) -> None:
    router.post(URL).mock(return_value=answer(None, refusal="I can't help with that."))

    result, _, reason = await write_narrative(client, briefing(), deadline=time.monotonic() + 5)

    assert result.narrative_source == "template"
    assert reason == "rejected: the model refused"


async def test_write_narrative_keeps_the_template_when_the_llm_fails(
    router: respx.MockRouter, client: LLMClient
) -> None:
    router.post(URL).mock(return_value=httpx.Response(503, json={"error": {"message": "busy"}}))

    result, trace, reason = await write_narrative(client, briefing(), deadline=time.monotonic() + 5)

    assert result.narrative_source == "template"
    assert reason == "server_error"
    assert trace is not None
    assert (trace.outcome, trace.attempts, trace.model) == ("server_error", 1, "test-model")

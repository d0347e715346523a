"""The LLM planner through the real graph: proposals, read-only rounds, repair and fallback.

Each test scripts the model's turns over respx (the real openai client code runs) and decides
for an inline customer, so no test leans on another's decision history.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import httpx
import respx

from agent.events import Event
from agent.record import DecideRequest, DecisionRecordV1
from evals.llm_stub import minimal_value
from tests.agent.planner.scripted import (
    Body,
    LLMDecider,
    ScriptedModel,
    action,
    calls,
    completion,
    decide,
    no_action,
    raw_calls,
    refusal,
    request,
)
from tests.factories import NOW
from tools import HandoffToAgent

SMS_MARKETING = action(
    "send_message", {"channel": "sms", "purpose": "marketing", "template_id": "promo"}
)
EMAIL_SERVICE = action(
    "send_message", {"channel": "email", "purpose": "service", "template_id": "status_update"}
)


def chosen_trace_permitted(record: DecisionRecordV1) -> bool:
    chosen = next(p for p in record.proposals if p.proposal_id == record.chosen.proposal_id)
    return chosen.evaluation.permitted and chosen.evaluation.call == record.chosen.call


def reasons(record: DecisionRecordV1) -> set[str]:
    return {v.reason_code.value for p in record.proposals for v in p.evaluation.verdicts}


async def test_a_plain_tool_call_is_the_decision(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model = ScriptedModel(calls(EMAIL_SERVICE))
    model_route.side_effect = model

    record = await decide(llm_decider(), request("llm_plain"))

    assert "maxLength" not in json.dumps(model.requests[0]["tools"])  # OpenAI strict refuses it
    assert record.mode == "llm"
    assert record.chosen.call.type == "send_message"
    assert record.chosen.call.channel == "email"
    assert record.model == "scripted-1"
    assert record.prompt_version
    assert record.prompt_version.startswith("p-")
    [call] = record.llm_calls
    assert (call.purpose, call.outcome, call.usage.total_tokens) == ("plan", "ok", 120)
    assert record.proposals[0].rationale.startswith("LLM: ")
    assert "llm_input:profile.name" in record.redactions
    assert list(record.timings_ms)[:3] == ["load_context", "retrieve", "plan"]


async def test_several_proposals_are_all_guarded_and_ranked(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    handoff = action("handoff_to_agent", {"queue": "billing", "reason": "disputed charge"})
    model_route.side_effect = ScriptedModel(calls(EMAIL_SERVICE, handoff, SMS_MARKETING))

    record = await decide(llm_decider(), request("llm_several"))

    assert record.mode == "llm"
    assert [p.proposal_id for p in record.proposals] == ["p1", "p2", "p3"]
    assert not record.proposals[2].evaluation.permitted  # no SMS consent: denied, and recorded
    assert chosen_trace_permitted(record)
    assert len(record.alternatives) == 1


async def test_read_only_round_then_action(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    search = ("search_playbooks", json.dumps({"query": "double charge on invoice"}))
    events = ("fetch_events", json.dumps({"limit": 5, "type": None}))

    def follow_found_playbook(body: Body) -> httpx.Response:
        found = [m for m in body["messages"] if m["role"] == "tool"]
        assert len(found) == 2
        assert all("[untrusted_data]" in m["content"] for m in found)
        ids = body["tools"][0]["function"]["parameters"]["properties"]["playbook_id"]
        assert "billing-dispute-acknowledge" in ids["anyOf"][0]["enum"]
        handoff = {"queue": "billing", "priority": "high", "reason": "disputed charge"}
        return calls(action("handoff_to_agent", handoff, playbook_id="billing-dispute-acknowledge"))

    model = ScriptedModel(raw_calls(search, events), follow_found_playbook)
    model_route.side_effect = model

    record = await decide(llm_decider(), request("llm_reads"))

    assert record.mode == "llm"
    assert [c.purpose for c in record.llm_calls] == ["plan", "plan"]
    assert record.proposals[0].source == "llm"
    assert record.proposals[0].playbook_id == "billing-dispute-acknowledge"
    assert record.proposals[0].playbook_version is not None
    assert len(model.requests) == 2
    assert {"search_playbooks", "fetch_events", "fetch_case"} <= set(model.tools(0))


async def test_read_only_rounds_are_bounded(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    search = ("search_playbooks", json.dumps({"query": "anything"}))
    model = ScriptedModel(raw_calls(search), raw_calls(search), no_action())
    model_route.side_effect = model

    record = await decide(llm_decider(max_tool_rounds=2), request("llm_bounded"))

    assert len(model.requests) == 3
    assert "search_playbooks" in model.tools(1)
    assert "search_playbooks" not in model.tools(2)  # the last round must act
    assert record.mode == "llm"


async def test_hallucinated_tool_is_repaired(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    invented = action("issue_refund", {"amount": 500})
    model = ScriptedModel(calls(invented), calls(EMAIL_SERVICE))
    model_route.side_effect = model

    record = await decide(llm_decider(), request("llm_invented"))

    assert record.mode == "llm_repaired"
    assert "unknown tool 'issue_refund'" in record.mode_reason
    assert [c.purpose for c in record.llm_calls] == ["plan", "repair"]
    assert record.llm_calls[0].outcome == "rejected"
    repair_turn = model.requests[1]["messages"]
    assert repair_turn[-2] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": repair_turn[-2]["content"],
    }
    assert "unknown tool" in repair_turn[-2]["content"]
    assert any(n.action_type == "issue_refund" for n in record.planner_notes)


async def test_invalid_arguments_are_repaired(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    bad = action("hold_outreach", {"hours": 0, "reason": "x"})
    model_route.side_effect = ScriptedModel(calls(bad), calls(EMAIL_SERVICE))

    record = await decide(llm_decider(), request("llm_invalid"))

    assert record.mode == "llm_repaired"
    assert "invalid arguments" in record.mode_reason
    assert "hours" in record.mode_reason


async def test_malformed_json_arguments_are_repaired(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = ScriptedModel(
        raw_calls(("no_action", '{"playbook_id": null, "rationale": "x", "args": {')),
        calls(EMAIL_SERVICE),
    )

    record = await decide(llm_decider(), request("llm_malformed"))

    assert record.mode == "llm_repaired"
    assert "not valid JSON" in record.mode_reason


async def test_denied_then_repaired(llm_decider: LLMDecider, model_route: respx.Route) -> None:
    model = ScriptedModel(calls(SMS_MARKETING), calls(EMAIL_SERVICE))
    model_route.side_effect = model

    record = await decide(llm_decider(), request("llm_denied_once"))

    assert record.mode == "llm_repaired"
    assert "consent_missing" in record.mode_reason
    first = record.proposals[0]
    assert not first.evaluation.permitted  # the denial stays in the record
    assert record.chosen.proposal_id == "p2"
    shown = model.requests[1]["messages"][-2]["content"]
    assert shown.startswith("denied by consent (consent_missing)")
    [said] = [m for m in model.requests[1]["messages"] if m["role"] == "assistant"]
    assert said["content"] == ""  # a string beside the tool calls: some servers refuse null


async def test_denied_twice_falls_back_to_rules(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = ScriptedModel(calls(SMS_MARKETING), calls(SMS_MARKETING))

    record = await decide(llm_decider(), request("llm_denied_twice"))

    assert record.mode == "fallback_rules"
    assert record.mode_reason.startswith("LLM repair failed")
    assert "consent_missing" in record.mode_reason
    assert [p.proposal_id for p in record.proposals[:2]] == ["p1", "p2"]
    assert not record.proposals[0].evaluation.permitted
    assert not record.proposals[1].evaluation.permitted
    assert chosen_trace_permitted(record)
    assert list(record.timings_ms) == [
        "load_context",
        "retrieve",
        "plan",
        "guard",
        "repair",
        "fallback",
        "arbitrate",
        "record",
    ]


async def test_refusal_gets_a_repair_round(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = ScriptedModel(refusal("I cannot help with that."), no_action())

    record = await decide(llm_decider(), request("llm_refusal"))

    assert record.mode == "llm_repaired"
    assert "declined" in record.mode_reason


async def test_text_instead_of_tools_twice_falls_back(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    text = completion({"role": "assistant", "content": "Send them a coupon."}, finish="stop")
    model_route.side_effect = ScriptedModel(text, text)

    record = await decide(llm_decider(), request("llm_text"))

    assert record.mode == "fallback_rules"
    assert "answered in text" in record.mode_reason
    assert chosen_trace_permitted(record)


async def test_briefing_narrative_is_written_by_the_llm(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    def cite_first_fact(body: Body) -> httpx.Response:
        facts = body["messages"][-1]["content"].split("\n")[1]  # "[f1] <fact text>"
        fact_id, text = facts[1:].split("] ", 1)
        message = {"role": "assistant", "content": f"{text.rstrip('.')} [{fact_id}]."}
        return completion(message, finish="stop")

    model_route.side_effect = ScriptedModel(calls(EMAIL_SERVICE), cite_first_fact)
    inbound = request(
        "llm_brief",
        context={"direction": "inbound", "channel": "chat", "reason": "charged twice this month"},
    )

    record = (await llm_decider().brief(inbound)).record

    assert record.briefing is not None
    assert [c.purpose for c in record.llm_calls] == ["plan", "narrative"]
    assert record.briefing.narrative_source == "llm", record.mode_reason


async def test_a_narrative_has_its_own_deadline_and_streams(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    async def too_slow_to_plan(body: Body) -> httpx.Response:
        await asyncio.sleep(0.5)
        return no_action()

    def streamed(body: Body) -> httpx.Response:
        fact_id, text = body["messages"][-1]["content"].split("\n")[1][1:].split("] ", 1)
        sentence = f"{text.rstrip('.')} [{fact_id}]."
        chunks = [
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "scripted-1",
                "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
            }
            for word in re.split(r"(?<= )", sentence)
        ]
        sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})

    model = ScriptedModel(too_slow_to_plan, streamed)
    model_route.side_effect = model
    inbound = request(
        "llm_own_deadline",
        context={"direction": "inbound", "channel": "chat", "reason": "charged twice this month"},
    )

    record = (await llm_decider(deadline_s=0.2).brief(inbound)).record

    assert record.mode == "fallback_rules"  # the plan ran out of its time ...
    assert record.briefing is not None
    assert record.briefing.narrative_source == "llm", record.mode_reason  # ... not the narrative's
    assert model.requests[1]["stream"] is True
    assert model.requests[1]["max_tokens"] == 200


async def test_events_the_model_fetched_are_recorded_for_replay(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    decider = llm_decider()
    customer = request("llm_fetches").profile
    assert customer is not None
    old = Event(id="evt-old-claim", ts=NOW - timedelta(days=60), channel="phone", type="contact")
    recent = Event(id="evt-recent", ts=NOW - timedelta(days=1), channel="web", type="page_view")
    await decider.put_customer(customer)
    await decider.add_events(customer.customer_id, [old, recent])
    fetch = ("fetch_events", json.dumps({"limit": 10, "type": None}))
    model_route.side_effect = ScriptedModel(raw_calls(fetch), no_action())

    record = await decide(decider, DecideRequest(customer_id=customer.customer_id))

    assert [e.id for e in record.events] == ["evt-recent"]  # loaded: the last 30 days
    assert [e.id for e in record.fetched_events] == ["evt-old-claim"]  # what the model saw too


NEW = (NOW - timedelta(days=20)).date().isoformat()  # too new for the outage goodwill credit


async def test_doing_nothing_never_answers_a_customer_who_reached_out(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model_route.side_effect = ScriptedModel(no_action("nothing to do"))
    words = "our wifi keeps cutting out every few minutes"
    context = {"direction": "inbound", "channel": "chat", "reason": words}
    inbound = request("llm_idle", profile={"customer_since": NEW}, context=context)

    record = await decide(llm_decider(), inbound)  # no demo playbook applies to a new customer

    assert record.mode == "llm"
    assert record.safe_default
    assert record.chosen.call.type == "handoff_to_agent"
    assert record.chosen.call.channel == "chat"  # the live channel
    idle = next(p for p in record.proposals if p.source == "llm")
    assert idle.call.type == "no_action"
    assert idle.evaluation.permitted
    assert [a.proposal_id for a in record.alternatives] == [idle.proposal_id]
    assert isinstance(record.chosen.call, HandoffToAgent)
    assert "doing nothing was proposed" in record.chosen.call.args.reason


def _shown(body: Body) -> list[str]:
    """The playbook ids a request showed the model."""
    user = body["messages"][1]["content"]
    data = json.loads(user.split("[untrusted_data]\n", 1)[1].rsplit("\n[/untrusted_data]", 1)[0])
    return [p["id"] for p in data["playbooks"]]


async def test_the_request_fits_the_token_budget_and_caps_the_answer(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model = ScriptedModel(no_action(), no_action())
    model_route.side_effect = model
    roomy = await decide(
        llm_decider(max_output_tokens=300, prompt_token_budget=1_000_000), request("llm_budget_a")
    )
    tight = await decide(llm_decider(prompt_token_budget=8000), request("llm_budget_b"))

    everything, fitted = _shown(model.requests[0]), _shown(model.requests[1])
    assert model.requests[0]["max_tokens"] == 300
    assert model.requests[1]["max_tokens"] == 800  # the default
    assert len(fitted) < len(everything)
    assert fitted == everything[: len(fitted)]  # the weakest left out first
    left_out = [n for n in tight.planner_notes if "not shown to the LLM" in n.note]
    assert [n.playbook_id.split("@")[0] for n in left_out] == everything[len(fitted) :]
    assert not [n for n in roomy.planner_notes if "not shown to the LLM" in n.note]
    sizes = [roomy.llm_calls[0].request_chars or 0, tight.llm_calls[0].request_chars or 0]
    assert sizes[0] > sizes[1] > 0
    assert sizes[1] / 3 <= 8000 + 50  # the estimate, plus the body's other fields
    assert "\n " not in model.requests[0]["messages"][1]["content"]  # compact JSON


async def test_a_request_the_server_finds_too_long_is_sent_again_shorter(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    too_long = {
        "error": {
            "code": 400,
            "message": "the request exceeds the available context size (9525 tokens)",
            "type": "exceed_context_size_error",
        }
    }
    model = ScriptedModel(httpx.Response(400, json=too_long), no_action())
    model_route.side_effect = model

    record = await decide(llm_decider(), request("llm_too_long"))

    assert record.mode == "llm"
    first, second = record.llm_calls
    assert (first.outcome, first.error_type, second.outcome) == (
        "client_error",
        "exceed_context_size_error",
        "ok",
    )
    assert (second.request_chars or 0) < (first.request_chars or 0)
    assert len(_shown(model.requests[1])) < len(_shown(model.requests[0]))
    assert any("had to fit 8000 tokens" in n.note for n in record.planner_notes)


async def test_a_prompt_the_server_counted_too_long_is_refitted_by_its_count(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    def too_long(body: Body) -> httpx.Response:
        sent = json.dumps(
            {"messages": body["messages"], "tools": body["tools"]}, separators=(",", ":")
        )
        counted = len(sent) // 2  # two characters a token, where 3 were assumed
        message = (
            "This model's maximum context length is 8192 tokens. However, you requested "
            f"{counted + 800} tokens ({counted} in the messages, 800 in the completion)."
        )
        return httpx.Response(400, json={"error": {"message": message, "code": 400}})

    model = ScriptedModel(too_long, no_action())
    model_route.side_effect = model
    decider = llm_decider(prompt_token_budget=8000)

    record = await decide(decider, request("llm_counted"))

    assert record.mode == "llm"
    first, second = model.requests
    resent = json.dumps(
        {"messages": second["messages"], "tools": second["tools"]}, separators=(",", ":")
    )
    assert len(resent) / 2 <= 8000  # within the budget, by the server's own count
    assert len(_shown(second)) < len(_shown(first))
    assert any("had to fit 8000 tokens" in n.note for n in record.planner_notes)  # not 4000


async def test_a_named_tool_choice_offers_the_best_playbooks_first_action_alone(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    # llama-cpp-python's function-calling format calls a tool only when the request names it
    def call_the_named_tool(body: Body) -> httpx.Response:
        function = body["tools"][0]["function"]
        return raw_calls((function["name"], json.dumps(minimal_value(function["parameters"]))))

    model = ScriptedModel(call_the_named_tool)
    model_route.side_effect = model
    words = "I was charged twice for the same order and want one refunded"
    context = {"direction": "inbound", "channel": "chat", "reason": words}

    record = await decide(llm_decider(tool_choice="named"), request("llm_named", context=context))

    body = model.requests[0]
    [offered] = body["tools"]
    name = offered["function"]["name"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
    best = max(
        (p for p in record.playbooks if p.conditions_met), key=lambda p: p.score, default=None
    )
    assert best is not None
    playbook = llm_decider().deps.playbooks.get(best.id)
    assert playbook is not None
    assert name == playbook.actions[0].type.value
    assert record.llm_calls[0].tool_choice == name
    assert len(model.requests) == 1  # no look-up rounds before a named action
    # a grammar-held small model cannot run on inside a string (llama.cpp honours maxLength)
    assert offered["function"]["parameters"]["properties"]["rationale"]["maxLength"] == 200


def json_plan(*made: tuple[str, str]) -> httpx.Response:
    """A text answer holding the JSON plan a tool_choice "none" request asks for."""
    plan = {"calls": [{"tool": name, "arguments": json.loads(args)} for name, args in made]}
    return completion({"role": "assistant", "content": json.dumps(plan)}, finish="stop")


async def test_tool_choice_none_asks_for_a_json_plan_that_a_schema_constrains(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    model = ScriptedModel(json_plan(EMAIL_SERVICE))
    model_route.side_effect = model

    decider = llm_decider(tool_choice="none", probed_at=NOW)  # as NEXTBEST_LLM_TOOL_CHOICE=probe
    record = await decide(decider, request("llm_json_plan"))

    assert record.mode == "llm"
    assert (record.chosen.call.type, record.chosen.call.channel) == ("send_message", "email")
    [body] = model.requests
    assert "tools" not in body
    assert "tool_choice" not in body
    schema = body["response_format"]["json_schema"]["schema"]
    variants = schema["properties"]["calls"]["items"]["anyOf"]
    named = [v["properties"]["tool"]["enum"] for v in variants]
    assert all(
        v["properties"]["arguments"]["properties"]["rationale"]["maxLength"] for v in variants
    )
    assert ["send_message"] in named
    assert ["no_action"] in named
    listing = body["messages"][2]
    assert listing["role"] == "user"
    assert '{"calls": [' in listing["content"]
    assert "send_message:" in listing["content"]
    assert 'channel: "email"' in listing["content"]  # the arguments' shape, not the schema again
    assert "additionalProperties" not in listing["content"]
    assert (record.llm_calls[0].tool_choice, record.llm_calls[0].probed_at) == ("none", NOW)
    assert len(model.requests) == 1  # no look-up rounds before a JSON plan


async def test_a_json_plan_that_is_prose_or_denied_is_repaired_in_words(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    prose = completion({"role": "assistant", "content": "I would e-mail them."}, finish="stop")
    model = ScriptedModel(
        prose, json_plan(EMAIL_SERVICE), json_plan(SMS_MARKETING), json_plan(EMAIL_SERVICE)
    )
    model_route.side_effect = model
    decider = llm_decider(tool_choice="none", json_form="json_object")  # llama-cpp-python's

    after_prose = await decide(decider, request("llm_json_prose"))
    after_denial = await decide(decider, request("llm_json_denied"))

    assert (after_prose.mode, after_denial.mode) == ("llm_repaired", "llm_repaired")
    assert after_denial.chosen.call.channel == "email"
    told = [model.requests[n]["messages"] for n in (1, 3)]
    assert 'was not the JSON object {"calls": [...]}' in told[0][-1]["content"]
    assert "send_message (json_1): denied by consent (consent_missing)" in told[1][-1]["content"]
    fmt = model.requests[0]["response_format"]
    assert fmt["type"] == "json_object"
    assert fmt["schema"]["required"] == ["calls"]
    for messages in told:  # a JSON plan made no tool calls to answer
        assert all(m["role"] != "tool" and "tool_calls" not in m for m in messages)
        assert messages[-2]["role"] == "assistant"


async def test_a_code_the_model_wrote_as_a_phone_number_is_stored_redacted(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    # SmolLM2 behind llama-cpp-python did this: the record's redaction turned the code into
    # "[phone]", which no identifier admits, and storing the decision failed
    phone_like = action(
        "send_message", {"channel": "email", "purpose": "service", "template_id": "07700900123"}
    )
    model_route.side_effect = ScriptedModel(calls(phone_like))
    decider = llm_decider()

    record = await decide(decider, request("llm_phone_code"))

    stored = decider.deps.decisions.get(record.decision_id)
    assert stored is not None
    assert stored.proposals[0].call.model_dump()["args"]["template_id"] == "redacted"
    assert "stored:proposals.0.call.args.template_id" in stored.redactions
    assert record.proposals[0].call.model_dump()["args"]["template_id"] == "07700900123"


async def test_with_no_playbook_left_to_drop_the_oldest_events_make_room(
    llm_decider: LLMDecider, model_route: respx.Route
) -> None:
    events = [
        Event(
            id=f"evt-view-{n:02d}",
            ts=NOW - timedelta(hours=30 - n),
            channel="web",
            type="page_view",
            properties={"page": f"/help/billing/article-{n}", "dwell_s": 40 + n},
        )
        for n in range(30)
    ]

    def call_the_named_tool(body: Body) -> httpx.Response:
        function = body["tools"][0]["function"]
        return raw_calls((function["name"], json.dumps(minimal_value(function["parameters"]))))

    model = ScriptedModel(call_the_named_tool, call_the_named_tool)
    model_route.side_effect = model

    record = await decide(
        llm_decider(prompt_token_budget=2500, tool_choice="named"),
        request("llm_many_events", events=[e.model_dump(mode="json") for e in events]),
    )

    data = model.requests[0]["messages"][1]["content"]
    shown = json.loads(data.split("[untrusted_data]\n", 1)[1].rsplit("\n[/untrusted_data]", 1)[0])
    ids = [e["id"] for e in shown["recent_events"]]
    assert not shown["playbooks"]
    assert 0 < len(ids) < 30
    assert ids == [e.id for e in events][-len(ids) :]  # the newest kept
    [note] = [n for n in record.planner_notes if "oldest events" in n.note]
    assert note.note.startswith(f"{30 - len(ids)} oldest events not shown to the LLM")

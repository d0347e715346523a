"""The LLM planner: any OpenAI-compatible model proposes typed tool calls, inside policy.

One ``plan_llm`` call runs a bounded loop: the model may use read-only tools (search playbooks,
fetch events, fetch a case) for up to ``max_rounds`` rounds, then must propose actions. When
nothing it proposed can be used, ``repair_llm`` gives it one more turn with the errors and the
guards' denials. Errors of the endpoint end the loop and come back in ``LLMPlan.error``: the
caller then lets the rules planner decide. Nothing here decides what is permitted; guards do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from typing import Literal

from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from agent.config import ToolChoiceMode
from agent.context import RequestContext
from agent.embeddings import Calibration
from agent.events import Event
from agent.llm import (
    ChatResult,
    LLMCallTrace,
    LLMClient,
    LLMError,
    LLMErrorCode,
    prompt_version,
)
from agent.llm.client import request_chars
from agent.planner.llm_calls import CallOutcome, ParsedRound, parse_calls
from agent.planner.llm_input import EVENTS_SHOWN, PlannerProfile, minimize, planner_data
from agent.planner.llm_json import calls_from_json, response_format, tool_listing
from agent.planner.llm_readonly import Lookup, answer, tool_message
from agent.planner.llm_tools import action_tools, base_schemas, bounded, read_only_tools
from agent.planner.proposal import PlannerNote, Proposal
from agent.playbooks.model import PlaybookHit
from agent.profile import Profile
from agent.signals.models import Signals
from policies import Precheck

__all__ = [
    "PROMPT_VERSION",
    "LLMPlan",
    "LLMSession",
    "PlanInput",
    "plan_llm",
    "repair_llm",
]

_PROMPTS = files("agent.planner.prompts")
SYSTEM_PROMPT = _PROMPTS.joinpath("system.md").read_text(encoding="utf-8")
REPAIR_PROMPT = _PROMPTS.joinpath("repair.md").read_text(encoding="utf-8")
PROMPT_VERSION = prompt_version(
    SYSTEM_PROMPT, REPAIR_PROMPT, json.dumps(base_schemas(), sort_keys=True)
)
"""Changes exactly when a prompt template or a tool's base schema changes."""

Purpose = Literal["plan", "repair"]


@dataclass(frozen=True, slots=True)
class PlanInput:
    profile: Profile
    signals: Signals
    events: list[Event]
    context: RequestContext
    hits: list[PlaybookHit]
    precheck: Precheck
    now: datetime
    calibration: Calibration


@dataclass(slots=True)
class LLMSession:
    """The conversation so far, carried from the plan round to the repair round."""

    messages: list[ChatCompletionMessageParam]
    hits: dict[str, PlaybookHit]
    precheck: Precheck
    signals: Signals
    calibration: Calibration
    outcomes: list[CallOutcome] = field(default_factory=list)
    """What became of each call of the model's last turn (answered in the repair round)."""
    problems: list[str] = field(default_factory=list)
    """Everything wrong with the model's last turn, for the repair round and the record."""
    mode: ToolChoiceMode = "required"
    """How this session asks for tools (the configured tool_choice)."""
    choice: str = "required"
    """What the last call asked for: required, auto, none (a JSON plan), or the tool it named."""
    named: list[str] = field(default_factory=list)
    """The tools named so far (tool_choice "named")."""

    @property
    def json_plan(self) -> bool:
        """The model answers with a JSON plan, not tool calls (tool_choice "none")."""
        return self.mode == "none"


@dataclass(frozen=True, slots=True)
class LLMPlan:
    proposals: list[Proposal]
    notes: list[PlannerNote]
    calls: list[LLMCallTrace]
    session: LLMSession
    error: LLMErrorCode | None = None
    """Set when the endpoint failed (deadline, circuit open, ...): the rules planner decides."""
    redactions: list[str] = field(default_factory=list)
    """Profile fields masked or left out of what the model saw."""


def _trace(
    purpose: Purpose, result: ChatResult, problems: Sequence[str], choice: str
) -> LLMCallTrace:
    return LLMCallTrace(
        purpose=purpose,
        model=result.model,
        latency_ms=round(result.latency_ms, 3),
        attempts=result.attempts,
        usage=result.usage,
        prompt_version=PROMPT_VERSION,
        outcome="rejected" if problems else "ok",
        request_chars=result.request_chars,
        tool_choice=choice,
    )


def _assistant(result: ChatResult, *, json_plan: bool) -> ChatCompletionMessageParam:
    if json_plan or not result.tool_calls:
        return {"role": "assistant", "content": result.content or result.refusal or ""}
    return {
        "role": "assistant",
        "content": result.content or "",  # llama-cpp-python refuses null beside tool calls
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in result.tool_calls
        ],
    }


def _turn_problems(result: ChatResult, parsed: ParsedRound, *, json_plan: bool) -> list[str]:
    problems = list(parsed.errors)
    if result.refusal:
        problems.append(f"you declined: {result.refusal[:300]}")
    elif not result.tool_calls and json_plan:
        problems.append('your answer was not the JSON object {"calls": [...]} asked for')
    elif not result.tool_calls:
        problems.append("you answered in text: call the action tools instead")
    elif not parsed.proposals and not parsed.read_only and not problems:
        problems.append("no action was proposed")
    return problems


def _take_turn(
    session: LLMSession,
    result: ChatResult,
    purpose: Purpose,
    calls: list[LLMCallTrace],
    *,
    offered: Sequence[ChatCompletionToolParam],
    first_index: int,
) -> ParsedRound:
    """Parse the model's turn into the session: its message, its outcomes and its problems."""
    if session.json_plan:
        result = calls_from_json(result)
    parsed = parse_calls(
        result.tool_calls,
        offered={t["function"]["name"] for t in offered},
        hits=session.hits,
        signals=session.signals,
        calibration=session.calibration,
        first_index=first_index,
    )
    session.messages.append(_assistant(result, json_plan=session.json_plan))
    session.outcomes = parsed.outcomes
    session.problems = _turn_problems(result, parsed, json_plan=session.json_plan)
    usable = bool(parsed.proposals or parsed.read_only)
    calls.append(_trace(purpose, result, [] if usable else session.problems, session.choice))
    return parsed


def _notes(session: LLMSession) -> list[PlannerNote]:
    """The turn's problems, for the record: per call where there was one."""
    notes = [
        PlannerNote(playbook_id="llm", action_type=o.name, note=o.error[:500])
        for o in session.outcomes
        if o.error
    ]
    per_call = {f"{o.name} ({o.call_id}): {o.error}" for o in session.outcomes if o.error}
    notes.extend(
        PlannerNote(playbook_id="llm", action_type="*", note=p[:500])
        for p in session.problems
        if p not in per_call
    )
    return notes


def _session(
    plan_input: PlanInput,
    view: PlannerProfile,
    hits: list[PlaybookHit],
    mode: ToolChoiceMode,
    events: list[Event],
) -> LLMSession:
    """The opening conversation. A JSON plan (mode "none") lists the action tools in a second
    user message, since the request offers none."""
    user = planner_data(
        profile=view,
        signals=plan_input.signals,
        events=events,
        context=plan_input.context,
        hits=hits,
    )
    session = LLMSession(
        messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}],
        hits={h.playbook.id: h for h in hits},
        precheck=plan_input.precheck,
        signals=plan_input.signals,
        calibration=plan_input.calibration,
        mode=mode,
        choice=mode,
    )
    if mode == "none":
        listing = tool_listing(_tools(session, read_only=False))
        session.messages.append({"role": "user", "content": listing})
    return session


def _fitted(
    plan_input: PlanInput,
    view: PlannerProfile,
    budget: int,
    mode: ToolChoiceMode,
    *,
    read_only: bool,
    chars_per_token: float,
) -> tuple[LLMSession, list[PlannerNote]]:
    """The session with the most playbooks, best first, whose first request fits ``budget``
    tokens, and notes of what was left out: the weakest playbooks first, then, with none
    left, the oldest half of the events shown, again and again. A named call sends one tool:
    the largest is counted. A JSON plan sends none: its listing is one of the messages."""
    hits = list(plan_input.hits)
    events = list(plan_input.events[-EVENTS_SHOWN:])
    while True:
        session = _session(plan_input, view, hits, mode, events)
        tools = [] if mode == "none" else _tools(session, read_only=read_only)
        if mode == "named":
            tools = sorted(tools, key=lambda t: request_chars(dict(t)))[-1:]
        body = {"messages": session.messages, "tools": tools}
        if request_chars(body) / chars_per_token <= budget or not (hits or events):
            break
        if hits:
            hits.pop()  # the weakest playbook
        else:
            events = events[len(events) // 2 or 1 :]  # the newest half
    why = f"not shown to the LLM: the request had to fit {budget} tokens"
    notes = [
        PlannerNote(playbook_id=h.playbook.key, action_type="*", note=why)
        for h in plan_input.hits[len(hits) :]
    ]
    hidden = min(len(plan_input.events), EVENTS_SHOWN) - len(events)
    if hidden:
        notes.append(
            PlannerNote(playbook_id="*", action_type="*", note=f"{hidden} oldest events {why}")
        )
    return session, notes


def _too_long(trace: LLMCallTrace) -> bool:
    """The server refused the request for its length (llama.cpp: exceed_context_size_error;
    vLLM, OpenAI: a 400 whose message speaks of the context length)."""
    said = f"{trace.error_type or ''} {trace.error_message or ''}".lower()
    return trace.status == 400 and "context" in said


_COUNTED = re.compile(r"(\d+) in the messages")
"""How OpenAI, vLLM and llama-cpp-python say how long a refused prompt was: "you requested 12661
tokens (11861 in the messages, 800 in the completion)"."""


def _counted_tokens(trace: LLMCallTrace) -> int | None:
    found = _COUNTED.search(trace.error_message or "")
    return int(found[1]) if found else None


def _prompt_chars(session: LLMSession, tools: Sequence[ChatCompletionToolParam]) -> int:
    """What the server counted in a prompt: the messages, and the tools it was sent."""
    sent = [] if session.json_plan else list(tools)
    return request_chars({"messages": session.messages, "tools": sent})


def _offer(
    mode: ToolChoiceMode, session: LLMSession, tools: list[ChatCompletionToolParam]
) -> list[ChatCompletionToolParam]:
    """The tools the next call offers, with ``session.choice`` set: ``required``, ``auto`` or
    ``none`` (the tools go into the JSON plan's schema) as configured, with every tool.
    ``named`` and ``none`` bound free text (``bounded``): they serve grammar-constrained local
    servers. ``named``: one tool, named, the first action of the best
    playbook (those whose conditions hold first) that was not named in this session yet; else a
    handoff to a person; else the first tool (the model must call it, so the others would
    only lengthen the request)."""
    if mode != "named":
        session.choice = mode
        return bounded(tools) if mode == "none" else tools
    offered = [t["function"]["name"] for t in tools]
    ranked = sorted(session.hits.values(), key=lambda h: (not h.conditions_met, -h.score))
    listed = [a.type.value for h in ranked for a in h.playbook.actions]
    candidates = [n for n in [*listed, "handoff_to_agent", *offered] if n in offered]
    fresh = [n for n in candidates if n not in session.named]
    session.choice = (fresh or candidates)[0]
    session.named.append(session.choice)
    return bounded(t for t in tools if t["function"]["name"] == session.choice)


def _tools(session: LLMSession, *, read_only: bool) -> list[ChatCompletionToolParam]:
    offered = action_tools(session.precheck, session.hits)
    return [*offered, *read_only_tools()] if read_only else offered


def _stamped(calls: list[LLMCallTrace], client: LLMClient) -> list[LLMCallTrace]:
    """The calls, with when the probe chose their tool_choice mode (if it did)."""
    probed_at = client.config.probed_at
    if probed_at is None:
        return calls
    return [c.model_copy(update={"probed_at": probed_at}) for c in calls]


async def _ask(
    client: LLMClient,
    session: LLMSession,
    tools: Sequence[ChatCompletionToolParam],
    purpose: Purpose,
    calls: list[LLMCallTrace],
    *,
    deadline: float,
) -> ChatResult | LLMErrorCode:
    try:
        return await client.chat(
            session.messages,
            tools=None if session.json_plan else tools,
            tool_choice=session.choice,
            deadline=deadline,
            max_tokens=client.config.max_output_tokens,
            purpose=purpose,
            response_format=(
                response_format(tools, client.config.json_form) if session.json_plan else None
            ),
        )
    except LLMError as exc:
        failed = LLMCallTrace.failed(purpose, client.model, exc, PROMPT_VERSION)
        calls.append(failed.model_copy(update={"tool_choice": session.choice}))
        return exc.code


async def plan_llm(
    client: LLMClient,
    plan_input: PlanInput,
    lookup: Lookup,
    *,
    max_rounds: int,
    deadline: float,
    first_index: int = 1,
) -> LLMPlan:
    """Ask the model for proposals; up to ``max_rounds`` rounds of read-only tools come first.

    The request fits the configured token budget: the weakest playbooks are left out until it
    does (a note says which). A server that still finds it too long gets one more try: fitted
    by the server's own count of the refused prompt where its error gives one, else within
    half the budget."""
    view, masked = minimize(plan_input.profile, plan_input.now, plan_input.precheck)
    budget = client.config.prompt_token_budget
    mode = client.config.mode
    looks_up = mode in ("required", "auto")  # a named call or a JSON plan is an action at once
    reads = max_rounds > 0 and looks_up
    ratio = client.chars_per_token  # as this server counts, once it has said
    session, left_out = _fitted(
        plan_input, view, budget, mode, read_only=reads, chars_per_token=ratio
    )
    calls: list[LLMCallTrace] = []
    for round_no in range(max_rounds + 1):
        reading = round_no < max_rounds and looks_up
        tools = _offer(mode, session, _tools(session, read_only=reading))
        result = await _ask(client, session, tools, "plan", calls, deadline=deadline)
        if isinstance(result, LLMErrorCode) and round_no == 0 and _too_long(calls[-1]):
            counted = _counted_tokens(calls[-1])
            if counted:  # the server said how long the prompt was: measure by its count
                client.observe_prompt(_prompt_chars(session, tools), counted)
                ratio = _prompt_chars(session, tools) / counted
            else:
                budget //= 2
            session, left_out = _fitted(
                plan_input, view, budget, mode, read_only=reading, chars_per_token=ratio
            )
            tools = _offer(mode, session, _tools(session, read_only=reading))
            result = await _ask(client, session, tools, "plan", calls, deadline=deadline)
        if isinstance(result, LLMErrorCode):
            notes = [*left_out, *_notes(session)]
            calls = _stamped(calls, client)
            return LLMPlan([], notes, calls, session, error=result, redactions=masked)
        parsed = _take_turn(session, result, "plan", calls, offered=tools, first_index=first_index)
        if not (parsed.read_only and reading):
            break
        session.messages.extend(await answer(parsed, lookup, session.hits))
    notes = [*left_out, *_notes(session)]
    return LLMPlan(parsed.proposals, notes, _stamped(calls, client), session, redactions=masked)


async def repair_llm(
    client: LLMClient,
    session: LLMSession,
    denials: Mapping[str, str],
    *,
    deadline: float,
    first_index: int,
) -> LLMPlan:
    """One more turn, shown what was wrong: each call's error or the guards' denials (in the
    repair message itself after a JSON plan, which made no tool calls to answer)."""
    lines = list(session.problems)
    for outcome in session.outcomes:
        verdict = denials.get(outcome.proposal_id or "", "accepted")
        if session.json_plan:
            lines.append(f"{outcome.name} ({outcome.call_id}): {outcome.error or verdict}")
        else:
            session.messages.append(tool_message(outcome.call_id, outcome.error or verdict))
    lines.extend(f"{pid}: {text}" for pid, text in denials.items())
    lines = list(dict.fromkeys(lines))
    problems = "\n".join(f"- {line}" for line in lines) or "- nothing usable was proposed"
    session.messages.append({"role": "user", "content": REPAIR_PROMPT.format(problems=problems)})
    tools = _offer(session.mode, session, _tools(session, read_only=False))
    calls: list[LLMCallTrace] = []
    result = await _ask(client, session, tools, "repair", calls, deadline=deadline)
    if isinstance(result, LLMErrorCode):
        return LLMPlan([], [], _stamped(calls, client), session, error=result)
    parsed = _take_turn(session, result, "repair", calls, offered=tools, first_index=first_index)
    return LLMPlan(parsed.proposals, _notes(session), _stamped(calls, client), session)

"""Answers to the LLM planner's read-only tools, as tool messages holding untrusted data."""

from __future__ import annotations

from typing import Protocol

from openai.types.chat import ChatCompletionMessageParam

from agent.events import Event
from agent.planner.llm_calls import ParsedRound, ReadOnlyRequest
from agent.planner.llm_input import case_view, data_block, event_view, mask_text, playbook_view
from agent.planner.llm_tools import FetchCaseArgs, FetchEventsArgs, SearchPlaybooksArgs
from agent.playbooks.model import PlaybookHit
from agent.profile import Case

__all__ = ["Lookup", "answer", "tool_message"]


class Lookup(Protocol):
    """What read-only tools read: the stores and this decision's state, for this customer only."""

    async def search_playbooks(self, query: str) -> list[PlaybookHit]: ...

    async def fetch_events(self, limit: int, event_type: str | None) -> list[Event]: ...

    def fetch_case(self, case_id: str) -> Case | None: ...


def tool_message(call_id: str, content: str) -> ChatCompletionMessageParam:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


async def _run(request: ReadOnlyRequest, lookup: Lookup, hits: dict[str, PlaybookHit]) -> str:
    match request.args:
        case SearchPlaybooksArgs(query=query):
            found = await lookup.search_playbooks(query)
            hits.update({h.playbook.id: h for h in found if h.playbook.id not in hits})
            return data_block("untrusted_data", [playbook_view(h) for h in found])
        case FetchEventsArgs(limit=limit, type=event_type):
            events = await lookup.fetch_events(limit, event_type)
            return data_block("untrusted_data", [event_view(e) for e in events])
        case FetchCaseArgs(case_id=case_id):
            case = lookup.fetch_case(case_id)
            if case is None:
                return f"error: the customer has no case {case_id!r}"
            view = case_view(case).model_dump(mode="json")
            return data_block("untrusted_data", {**view, "summary": mask_text(case.summary)})
        case _:
            return f"error: {request.name} is not a read-only tool"


async def answer(
    parsed: ParsedRound, lookup: Lookup, hits: dict[str, PlaybookHit]
) -> list[ChatCompletionMessageParam]:
    """A tool message for every call of the turn: the data read, or the error. Playbooks found
    by search join ``hits`` so the model may follow them."""
    messages = [tool_message(o.call_id, f"error: {o.error}") for o in parsed.outcomes if o.error]
    for request in parsed.read_only:
        messages.append(tool_message(request.call_id, await _run(request, lookup, hits)))
    return messages

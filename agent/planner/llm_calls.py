"""Tool calls an LLM made, turned into typed proposals, read-only requests, or readable errors.

Nothing the model sends is trusted: the tool must have been offered, the arguments must be JSON
that the tool's pydantic model accepts, and the playbook must be one it was shown. Each failure
becomes an error text the model sees in its repair round.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.embeddings import Calibration
from agent.llm import ToolCallOut
from agent.planner.llm_tools import READ_ONLY_TOOLS
from agent.planner.proposal import Proposal
from agent.planner.rules import fit
from agent.playbooks.model import PlaybookHit
from agent.signals.models import Signals
from tools import ActionCall, ActionType, listed_as, parse_action

__all__ = ["CallOutcome", "ParsedRound", "ReadOnlyRequest", "parse_calls"]

_NO_PLAYBOOK = (0.3, 0.5, 1.0)
"""Propensity, value and lever of a proposal that follows no playbook: a modest prior."""


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What became of one tool call: a proposal (by id), or the error the model is shown."""

    call_id: str
    name: str
    proposal_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ReadOnlyRequest:
    call_id: str
    name: str
    args: BaseModel


@dataclass(frozen=True, slots=True)
class ParsedRound:
    proposals: list[Proposal]
    outcomes: list[CallOutcome]
    """One per action call (and per read-only call made beside actions), in the model's order."""
    read_only: list[ReadOnlyRequest]

    @property
    def errors(self) -> list[str]:
        return [f"{o.name} ({o.call_id}): {o.error}" for o in self.outcomes if o.error]


class _Envelope(BaseModel):
    """The parameters of every action tool: the action's args beside where they came from."""

    model_config = ConfigDict(extra="forbid")

    playbook_id: str | None
    rationale: str = Field(min_length=1, max_length=500)
    args: dict[str, object]


def _problems(exc: ValidationError, tool: str | None = None) -> str:
    """Each error as ``path: message``; the union's tool tag is left out of the path."""
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        path = ".".join(loc[1:] if loc[:1] == [tool] else loc) or "arguments"
        parts.append(f"{path}: {error['msg']}")
    return "; ".join(parts)


def _score(
    call: ActionCall, hit: PlaybookHit | None, signals: Signals, calibration: Calibration
) -> tuple[float, float, float]:
    """Propensity, value and lever as the rules planner would give this call's playbook action,
    so arbitration weighs LLM and rules proposals alike."""
    if hit is None:
        return _NO_PLAYBOOK
    listed = listed_as(call.type)
    action = next(a for a in hit.playbook.actions if a.type == listed)  # checked before
    weight, value = action.weight, action.value
    return round(weight * fit(hit, signals, calibration), 4), value, hit.playbook.priority


def _proposal(
    call: ToolCallOut,
    hits: Mapping[str, PlaybookHit],
    signals: Signals,
    calibration: Calibration,
) -> Proposal | str:
    try:
        envelope = _Envelope.model_validate_json(call.arguments or "{}")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return f"arguments are not valid JSON: {exc.errors()[0]['msg']}"
        return _problems(exc)
    hit = hits.get(envelope.playbook_id) if envelope.playbook_id is not None else None
    if envelope.playbook_id is not None and hit is None:
        return f"playbook_id {envelope.playbook_id!r} is not one of the playbooks shown"
    args = {k: v for k, v in envelope.args.items() if v is not None}  # null: the tool's default
    try:
        action = parse_action({"type": call.name, "args": args})
    except ValidationError as exc:
        return f"invalid arguments: {_problems(exc, call.name)}"
    if hit is not None and all(a.type != listed_as(action.type) for a in hit.playbook.actions):
        listed = ", ".join(sorted({str(a.type) for a in hit.playbook.actions}))
        return (
            f"playbook {hit.playbook.id!r} does not recommend {call.name} (it lists {listed}): "
            "name the playbook that does, or none"
        )
    propensity, value, lever = _score(action, hit, signals, calibration)
    return Proposal(
        call=action,
        playbook_id=hit.playbook.id if hit else None,
        playbook_version=hit.playbook.version if hit else None,
        rationale=f"LLM: {envelope.rationale}"[:500],
        propensity=propensity,
        value=value,
        lever=lever,
        source="llm",
    )


def _read_only(call: ToolCallOut) -> ReadOnlyRequest | str:
    try:
        args = READ_ONLY_TOOLS[call.name].model_validate_json(call.arguments or "{}")
    except ValidationError as exc:
        return f"invalid arguments: {_problems(exc)}"
    return ReadOnlyRequest(call_id=call.id, name=call.name, args=args)


def _unknown(name: str, offered: Collection[str]) -> str:
    if name in {a.value for a in ActionType}:
        return f"tool {name!r} is not offered: the policies forbid it for this customer now"
    return f"unknown tool {name!r}; the tools offered are {', '.join(sorted(offered))}"


def parse_calls(
    calls: Sequence[ToolCallOut],
    *,
    offered: Collection[str],
    hits: Mapping[str, PlaybookHit],
    signals: Signals,
    calibration: Calibration,
    first_index: int,
) -> ParsedRound:
    """Sort the model's calls into proposals (numbered from ``first_index``), read-only
    requests, and errors. Read-only calls made beside an action call are not run."""
    proposals: list[Proposal] = []
    outcomes: list[CallOutcome] = []
    reads: list[ReadOnlyRequest] = []
    with_actions = any(c.name not in READ_ONLY_TOOLS for c in calls)
    for call in calls:
        if call.name not in offered:
            outcomes.append(CallOutcome(call.id, call.name, error=_unknown(call.name, offered)))
        elif call.name in READ_ONLY_TOOLS:
            if with_actions:
                outcomes.append(CallOutcome(call.id, call.name, error="not run: actions came too"))
                continue
            read = _read_only(call)
            if isinstance(read, str):
                outcomes.append(CallOutcome(call.id, call.name, error=read))
            else:
                reads.append(read)
        else:
            made = _proposal(call, hits, signals, calibration)
            if isinstance(made, str):
                outcomes.append(CallOutcome(call.id, call.name, error=made))
                continue
            proposal_id = f"p{first_index + len(proposals)}"
            proposals.append(made)
            outcomes.append(CallOutcome(call.id, call.name, proposal_id=proposal_id))
    return ParsedRound(proposals=proposals, outcomes=outcomes, read_only=reads)

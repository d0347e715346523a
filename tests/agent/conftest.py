"""Builders of valid decision records and events for the agent's tests: real models, sensible
defaults, easy overrides."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any, Protocol

import pytest

from agent.events import Event
from agent.record import DecisionRecordV1, PlaybookRef, ProposalTrace, RankedAction
from policies.verdict import Evaluation, Outcome, ReasonCode, Verdict
from tests.factories import NOW, profile, signals
from tools import ActionCall, ActionType, Channel, Purpose, parse_action

# -- builders --------------------------------------------------------------------------------


def _default_args(action: ActionType, channel: Channel, purpose: Purpose, at: datetime) -> Any:
    match action:
        case ActionType.SEND_MESSAGE:
            return {"channel": channel, "purpose": purpose, "template_id": "tpl_help"}
        case ActionType.OFFER_INCENTIVE:
            return {
                "kind": "percent_discount",
                "value": "10",
                "channel": channel,
                "offer_id": "off_ten",
            }
        case ActionType.APPLY_GOODWILL_CREDIT:
            return {"amount": "15.00", "currency": "EUR", "reason_code": "service_failure"}
        case ActionType.SCHEDULE_CALLBACK:
            return {"at": at + timedelta(hours=2), "queue": "billing", "topic": "invoice"}
        case ActionType.HANDOFF_TO_AGENT:
            return {"queue": "billing", "reason": "customer asked for a human"}
        case ActionType.RECOMMEND_ARTICLE:
            return {"article_id": "kb_reset", "channel": Channel.WEB}
        case ActionType.OPEN_CASE:
            return {"case_type": "technical", "queue": "tech", "summary": "login fails"}
        case ActionType.UPDATE_CASE:
            return {"case_id": "CS-1", "case_type": "technical", "note": "still failing"}
        case ActionType.HOLD_OUTREACH:
            return {"hours": 48, "reason": "open complaint"}
        case ActionType.NO_ACTION:
            return {"reason": "nothing helps now"}


class MakeRecord(Protocol):
    def __call__(
        self,
        *,
        customer_id: str = ...,
        created_at: datetime = ...,
        action_type: ActionType = ...,
        channel: Channel = ...,
        purpose: Purpose = ...,
        call: ActionCall | None = ...,
        idempotency_key: str | None = ...,
        outcome: Outcome = ...,
        approval_required: bool = ...,
        mode: str = ...,
        kind: str = ...,
        decision_id: str | None = ...,
        context: dict[str, Any] | None = ...,
        intent: str | None = ...,
        journey: str | None = ...,
    ) -> DecisionRecordV1: ...


@pytest.fixture
def make_record() -> MakeRecord:
    """Builds a valid DecisionRecordV1 of real models; vary what a test is about."""
    sequence = itertools.count(1)

    def build(
        *,
        customer_id: str = "cus_1",
        created_at: datetime = NOW,
        action_type: ActionType = ActionType.SEND_MESSAGE,
        channel: Channel = Channel.EMAIL,
        purpose: Purpose = Purpose.SERVICE,
        call: ActionCall | None = None,
        idempotency_key: str | None = None,
        outcome: Outcome = Outcome.ALLOW,
        approval_required: bool = False,
        mode: str = "rules",
        kind: str = "decision",
        decision_id: str | None = None,
        context: dict[str, Any] | None = None,
        intent: str | None = None,
        journey: str | None = None,
    ) -> DecisionRecordV1:
        if call is None:
            args = _default_args(action_type, channel, purpose, created_at)
            call = parse_action({"type": action_type, "args": args})
        verdict = Verdict(
            policy_id="consent",
            policy_version="default@1",
            outcome=outcome,
            reason_code=ReasonCode.OK if outcome is Outcome.ALLOW else ReasonCode.RULE_MATCHED,
            message="test verdict",
        )
        trace = ProposalTrace(
            proposal_id="p1",
            call=call,
            playbook_id="pb_help",
            playbook_version=1,
            rationale="the playbook fits",
            propensity=0.4,
            value=1.0,
            evaluation=Evaluation(outcome=outcome, call=call, verdicts=[verdict]),
        )
        chosen = RankedAction(
            proposal_id="p1",
            call=call,
            score=0.4,
            probability=1.0,
            outcome=outcome,
            playbook_id="pb_help",
        )
        return DecisionRecordV1.model_validate(
            {
                "decision_id": decision_id or f"dec_{next(sequence):06d}",
                "kind": kind,
                "created_at": created_at,
                "customer_id": customer_id,
                "idempotency_key": idempotency_key,
                "profile": profile(customer_id=customer_id),
                "events": [],
                "context": context or {},
                "profile_source": "store",
                "signals": signals(intent=intent, journey=journey),
                "playbooks": [
                    PlaybookRef(
                        id="pb_help", version=1, title="Help", score=0.8, conditions_met=True
                    )
                ],
                "proposals": [trace],
                "chosen": chosen,
                "alternatives": [],
                "approval_required": approval_required,
                "rationale": "test decision",
                "safe_default": False,
                "mode": mode,
                "mode_reason": "rules planner in tests",
                "policy_pack_version": "default@1",
                "embedding_model": "test-embedder",
                "timings_ms": {"total": 1.5},
            }
        )

    return build


class MakeEvent(Protocol):
    def __call__(
        self, event_id: str, ts: datetime, *, type: str = ..., text: str | None = ...
    ) -> Event: ...


@pytest.fixture
def make_event() -> MakeEvent:
    def build(
        event_id: str, ts: datetime, *, type: str = "page_view", text: str | None = None
    ) -> Event:
        return Event(
            id=event_id,
            ts=ts,
            channel=Channel.WEB,
            type=type,
            properties={"page": "/help", "dwell_seconds": 30, "score": 1.5},
            text=text,
        )

    return build

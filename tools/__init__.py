"""The action catalog: one typed call per tool, and the union of them all."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter

from tools.apply_goodwill_credit import ApplyGoodwillCredit, ApplyGoodwillCreditArgs
from tools.base import (
    ActionType,
    AttributeKey,
    Channel,
    Currency,
    FiniteFloat,
    Identifier,
    Money,
    Purpose,
    RiskLevel,
    Scalar,
    ToolArgs,
    ToolCallBase,
    ToolSpec,
)
from tools.handoff_to_agent import HandoffToAgent, HandoffToAgentArgs
from tools.hold_outreach import HoldOutreach, HoldOutreachArgs
from tools.no_action import NoAction, NoActionArgs
from tools.offer_incentive import OfferIncentive, OfferIncentiveArgs
from tools.open_case import OpenCase, OpenCaseArgs
from tools.recommend_article import RecommendArticle, RecommendArticleArgs
from tools.schedule_callback import ScheduleCallback, ScheduleCallbackArgs
from tools.send_message import SendMessage, SendMessageArgs
from tools.update_case import UpdateCase, UpdateCaseArgs

__all__ = [
    "CATALOG",
    "ActionCall",
    "ActionType",
    "ApplyGoodwillCredit",
    "ApplyGoodwillCreditArgs",
    "AttributeKey",
    "Channel",
    "Currency",
    "FiniteFloat",
    "HandoffToAgent",
    "HandoffToAgentArgs",
    "HoldOutreach",
    "HoldOutreachArgs",
    "Identifier",
    "Money",
    "NoAction",
    "NoActionArgs",
    "OfferIncentive",
    "OfferIncentiveArgs",
    "OpenCase",
    "OpenCaseArgs",
    "Purpose",
    "RecommendArticle",
    "RecommendArticleArgs",
    "RiskLevel",
    "Scalar",
    "ScheduleCallback",
    "ScheduleCallbackArgs",
    "SendMessage",
    "SendMessageArgs",
    "ToolArgs",
    "ToolCallBase",
    "ToolSpec",
    "UpdateCase",
    "UpdateCaseArgs",
    "action_adapter",
    "listed_as",
    "parse_action",
]

ActionCall = Annotated[
    SendMessage
    | OfferIncentive
    | ApplyGoodwillCredit
    | ScheduleCallback
    | HandoffToAgent
    | RecommendArticle
    | OpenCase
    | UpdateCase
    | HoldOutreach
    | NoAction,
    Field(discriminator="type"),
]
"""Any typed tool call; ``type`` picks the tool and ``args`` is validated by its model."""

CATALOG: dict[ActionType, type[ToolCallBase]] = {
    cls.spec.name: cls
    for cls in (
        SendMessage,
        OfferIncentive,
        ApplyGoodwillCredit,
        ScheduleCallback,
        HandoffToAgent,
        RecommendArticle,
        OpenCase,
        UpdateCase,
        HoldOutreach,
        NoAction,
    )
}

action_adapter: TypeAdapter[ActionCall] = TypeAdapter(ActionCall)


def listed_as(action: ActionType) -> ActionType:
    """The action a playbook lists when it recommends ``action``: itself, or the one it stands
    for (a playbook that opens a case also updates one that is open)."""
    return CATALOG[action].spec.stands_for or action


def parse_action(data: object) -> ActionCall:
    """Validate ``{"type": ..., "args": {...}}`` into its typed call (raises ValidationError)."""
    return action_adapter.validate_python(data)

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
    "action_adapter",
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
        HoldOutreach,
        NoAction,
    )
}

action_adapter: TypeAdapter[ActionCall] = TypeAdapter(ActionCall)


def parse_action(data: object) -> ActionCall:
    """Validate ``{"type": ..., "args": {...}}`` into its typed call (raises ValidationError)."""
    return action_adapter.validate_python(data)

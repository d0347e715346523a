"""recommend_article: point the customer to a help article."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tools.base import (
    ActionType,
    Channel,
    Identifier,
    Purpose,
    RiskLevel,
    ToolArgs,
    ToolCallBase,
    ToolSpec,
)

__all__ = ["RecommendArticle", "RecommendArticleArgs"]


class RecommendArticleArgs(ToolArgs):
    article_id: Identifier = Field(description="Help-center article id.")
    channel: Literal[Channel.WEB, Channel.IN_APP, Channel.CHAT, Channel.EMAIL] = Field(
        description="Where the article is shown."
    )
    purpose: Literal["service"] = Field(default="service", description="Help is a service contact.")


class RecommendArticle(ToolCallBase):
    """Recommend a help-center article that solves the customer's problem."""

    spec = ToolSpec(
        name=ActionType.RECOMMEND_ARTICLE,
        description="Recommend a help-center article that solves the customer's problem.",
        purpose=Purpose.SERVICE,
        risk=RiskLevel.LOW,
        reversible=True,
        contacts_customer=False,
        promises=("article", "help page", "guide"),
    )
    type: Literal[ActionType.RECOMMEND_ARTICLE] = Field(
        default=ActionType.RECOMMEND_ARTICLE,
        description="Which action this is: always recommend_article.",
    )
    args: RecommendArticleArgs = Field(description="The action's arguments.")

    def plain(self) -> str:
        return f"point them to help article {self.args.article_id} ({self.args.channel})"

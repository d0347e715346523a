"""Markdown for a briefing: what a support agent reads in the side panel."""

from __future__ import annotations

from agent.briefing.models import Briefing, BriefingItem

__all__ = ["render_markdown"]

_SECTIONS = (
    ("Customer", "customer_summary"),
    ("Trying to do", "trying_to_do"),
    ("What went wrong", "what_went_wrong"),
    ("Sentiment and effort", "sentiment_and_effort"),
    ("Open cases", "open_cases"),
    ("Recommended next action", "recommended_action"),
    ("Do not", "do_not"),
)


def _item(item: BriefingItem) -> str:
    return f"- {item.text} <sub>{', '.join(item.fact_ids)}</sub>"


def render_markdown(briefing: Briefing) -> str:
    lines = [f"# Handoff briefing \u2014 {briefing.customer_id}", "", briefing.narrative, ""]
    for title, field in _SECTIONS:
        items: list[BriefingItem] = getattr(briefing, field)
        if not items:
            continue
        lines += [f"## {title}", *(_item(i) for i in items), ""]
        if field == "recommended_action" and briefing.talk_track:
            lines += [
                "**Talk track**",
                "",
                *(f"> {line}" for line in briefing.talk_track.strip().splitlines()),
                "",
            ]
    lines += [
        "## Facts",
        *(f"- `{f.id}` {f.source} `{f.ref}`: {f.text}" for f in briefing.facts),
        "",
    ]
    lines.append(f"<sub>{briefing.briefing_id} · decision {briefing.decision_id}</sub>")
    return "\n".join(lines) + "\n"

"""Checks of briefing text against its facts: forbidden claims, and numbers no fact supports.

A briefing's narrative may only state what its facts hold. Numbers are the claims a model most
often invents (amounts, counts, dates), so every number in the narrative must appear in some
fact's text or ref, or be a tenure derived from a date a fact states (``customer since
2023-02-08`` supports ``3 years 9 months`` on 2026-11-20).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from agent.briefing.models import Briefing

__all__ = ["briefing_texts", "forbidden_claims", "numbers_in", "unsupported_numbers"]

_CITATION = re.compile(r"\[f\d+\]")
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _normal(token: str) -> str:
    try:
        return format(Decimal(token.replace(",", "")).normalize(), "f")
    except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
        return token


def numbers_in(text: str) -> set[str]:
    """Numbers in ``text``, normalized (``20.00`` and ``20`` are one); fact citations skipped."""
    return {_normal(m.group(0)) for m in _NUMBER.finditer(_CITATION.sub(" ", text))}


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _tenures(texts: Iterable[str], at: datetime) -> set[str]:
    """Whole years, remaining months and total months since each date the facts state."""
    derived: set[str] = set()
    for text in texts:
        for match in _DATE.finditer(text):
            try:
                start = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
            months = _months_between(start, at.date())
            if months >= 0:
                derived |= {str(months // 12), str(months % 12), str(months)}
    return derived


def unsupported_numbers(briefing: Briefing, also_supported: Iterable[str] = ()) -> list[str]:
    """Numbers in the narrative that no fact holds (sorted, each once).

    ``also_supported``: other texts the narrative may quote, such as the decision's own chosen
    action (its send time, its hold hours), which is what the briefing recommends.
    """
    fact_texts = [f"{fact.text} {fact.ref}" for fact in briefing.facts]
    supported: set[str] = set()
    for text in [*fact_texts, *also_supported]:
        supported |= numbers_in(text)
    supported |= _tenures(fact_texts, briefing.created_at)
    return sorted(numbers_in(briefing.narrative) - supported)


def briefing_texts(briefing: Briefing) -> list[str]:
    """The narrative and every item's text: what the support agent reads."""
    return [briefing.narrative, *(item.text for section in briefing.sections for item in section)]


def forbidden_claims(briefing: Briefing, not_claims: Iterable[str]) -> list[str]:
    """The ``not_claims`` (case-insensitive substrings) that some briefing text contains."""
    texts = [text.casefold() for text in briefing_texts(briefing)]
    return [claim for claim in not_claims if any(claim.casefold() in text for text in texts)]

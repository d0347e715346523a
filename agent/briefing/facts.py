"""A fact book: numbers the facts a briefing rests on, once each."""

from __future__ import annotations

from agent.briefing.models import Fact, FactSource

__all__ = ["FactBook"]


class FactBook:
    def __init__(self) -> None:
        self._facts: dict[tuple[str, str], Fact] = {}

    def add(self, source: FactSource, ref: str, text: str) -> str:
        """The fact's id; adding the same (source, ref) twice returns the first id."""
        key = (source, ref)
        if key not in self._facts:
            self._facts[key] = Fact(
                id=f"f{len(self._facts) + 1}", source=source, ref=ref, text=text
            )
        return self._facts[key].id

    @property
    def facts(self) -> list[Fact]:
        return list(self._facts.values())

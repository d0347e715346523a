"""The held-out intent set: customer utterances labelled with the intent a careful reader sees.

A set is YAML (``evals/intents/heldout.yaml``). Each case is one message as a customer writes
it, in one of several languages, with the catalogued intent it should be matched to, or
``none`` for off-topic text that must be left unmatched. The set is held out: the loader
refuses a case whose text is a near-copy of a catalogue example (the same text, or token
Jaccard >= 0.6), so the figures measure understanding, not recall of the examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from agent.signals.intent import IntentCatalogue
from evals.independence import near_copies, references

__all__ = ["HELDOUT", "IntentCase", "IntentSet", "catalogue_copies", "load_set"]

HELDOUT = Path(__file__).with_name("heldout.yaml")


class IntentCase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
    lang: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$|^mixed$")]
    intent: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="An intent, or none.")
    text: str = Field(min_length=1, max_length=2000)

    @property
    def off_topic(self) -> bool:
        return self.intent == "none"


class IntentSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    cases: tuple[IntentCase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> IntentSet:
        ids = [c.id for c in self.cases]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate case ids: {duplicates!r}")
        return self


def catalogue_copies(cases: tuple[IntentCase, ...], catalogue: IntentCatalogue) -> list[str]:
    """One line per case whose text copies a catalogue example, naming both."""
    examples = references(catalogue, ())
    return [
        f"{case.id}: {text!r} copies {copied.where} {copied.text!r}"
        for case in cases
        for text, copied in near_copies([case.text], examples)
    ]


def load_set(path: Path, catalogue: IntentCatalogue) -> IntentSet:
    """A validated held-out set; ValueError naming the cases that are not held out, or whose
    intent is not in the catalogue."""
    loaded = IntentSet.model_validate(yaml.safe_load(path.read_text("utf-8")))
    known = {i.name for i in catalogue.intents} | {"none"}
    unknown = [
        f"{c.id}: unknown intent {c.intent!r}" for c in loaded.cases if c.intent not in known
    ]
    problems = unknown + catalogue_copies(loaded.cases, catalogue)
    if problems:
        raise ValueError(f"{path}: {len(problems)} cases refused:\n" + "\n".join(problems))
    return loaded

"""An LLM-written briefing narrative, kept only if every claim in it traces to a cited fact.

The model sees the briefing's facts and nothing else, and must end each sentence with the ids of
the facts it rests on. ``check_narrative`` then rejects text that cites nothing or an unknown
fact, or states a number, date, time or name that its cited facts do not contain. A rejected or
failed narrative leaves the template narrative in place: the briefing never gets worse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from importlib.resources import files

from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict

from agent.briefing.models import Briefing, Fact
from agent.llm import LLMCallTrace, LLMClient, LLMError, prompt_version

__all__ = [
    "MAX_CHARS",
    "NARRATIVE_PROMPT_VERSION",
    "NarrativeCheck",
    "check_narrative",
    "write_narrative",
]

_SYSTEM = files("agent.briefing.prompts").joinpath("narrative.md").read_text(encoding="utf-8")
NARRATIVE_PROMPT_VERSION = prompt_version(_SYSTEM)

MAX_CHARS = 1200
MAX_FACTS = 20
"""The facts a narrative request shows, in the briefing's order: a small local model reads a
short prompt in time (the validator still knows every fact)."""
_FACT_CHARS = 240
_QUOTE_CHARS = 60

_CITATION = re.compile(r"\[\s*f\d+(?:\s*,\s*f\d+)*\s*\]")
_FACT_ID = re.compile(r"f\d+")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_LEADING_BRACKETS = re.compile(r"(?:\s*\[[^\[\]]*\])+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_TRAILING_PUNCTUATION = " \t\n.!?\"'\u201d\u2019)"
_NUMBER = re.compile(r"(?<![\w.])(?:[+-](?=\d))?\d+(?:[.,:/-]\d+)*")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_DATE_TIME_SEPARATORS = re.compile(r"[-:/]")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_POSSESSIVE = re.compile(r"['\u2019]s$")
_FACTS_TAG = re.compile(r"</?facts>", re.IGNORECASE)
_OPENERS = frozenset(':"\u201c\u2018')

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sep", "Sept"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ],
        start=1,
    )
    for name in names
}
"""Capitalized month names count as numbers: "20 November" needs an 11 and a 20 in the facts."""

_NUMBER_WORDS = {
    "two": 2,
    "twice": 2,
    "three": 3,
    "thrice": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
"""Spelled-out counts are numbers too. "one" and "once" are left out: mostly not counts."""

_ALLOWED_CAPITALS = frozenset({"I", "UTC", "NPS", "OK"})


class NarrativeCheck(BaseModel):
    """Whether a narrative may be shown, and if not, every reason why."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    problems: list[str]


def _quote(sentence: str) -> str:
    text = " ".join(sentence.split())
    return repr(text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "\u2026")


def _sentences(text: str) -> list[str]:
    """Split on sentence ends; brackets that open a piece ("Text. [f2]") close the one before."""
    sentences: list[str] = []
    for piece in _SENTENCE_BREAK.split(text.strip()):
        lead = _LEADING_BRACKETS.match(piece)
        if lead and sentences:
            sentences[-1] += lead.group()
            piece = piece[lead.end() :]
        if piece.strip():
            sentences.append(piece.strip())
    return sentences


def _canonical(token: str) -> str:
    """One spelling per number: "+12.90" and "12.9", "1,299" and "1299", "03" and "3"."""
    token = token.lstrip("+")
    plain = token.replace(",", "") if _THOUSANDS.fullmatch(token) else token
    if _DECIMAL.fullmatch(plain):
        return format(Decimal(plain).normalize(), "f")
    return re.sub(r"\d+", lambda m: str(int(m.group())), token)


def _numbers_in_facts(facts: Iterable[Fact]) -> set[str]:
    """Every number the facts state, with dates and times also split into their parts."""
    found: set[str] = set()
    for fact in facts:
        for written, canonical in _numbers(fact.text):
            found.add(canonical)
            if _DATE_TIME_SEPARATORS.search(written.lstrip("+-")):
                found.update(_canonical(p) for p in _DATE_TIME_SEPARATORS.split(written) if p)
    return found


def _words_in_facts(facts: Iterable[Fact]) -> set[str]:
    return {_POSSESSIVE.sub("", w).casefold() for fact in facts for w in _WORD.findall(fact.text)}


def _numbers(text: str) -> list[tuple[str, str]]:
    """(as written, canonical) for each number, number word and month name in a text."""
    found = [(t, _canonical(t)) for t in _NUMBER.findall(text)]
    for word in _WORD.findall(text):
        if (n := _NUMBER_WORDS.get(word.casefold())) is not None:
            found.append((word, str(n)))
        elif word in _MONTHS:
            found.append((word, str(_MONTHS[word])))
    return found


def _unsupported_names(claim: str, known_words: set[str]) -> list[str]:
    names = []
    for i, match in enumerate(_WORD.finditer(claim)):
        word = _POSSESSIVE.sub("", match.group())
        before = claim[: match.start()].rstrip()
        opens_a_clause = i == 0 or (bool(before) and before[-1] in _OPENERS)
        if (
            word[0].isupper()
            and not opens_a_clause
            and word not in _ALLOWED_CAPITALS
            and word not in _MONTHS
            and word.casefold() not in known_words
        ):
            names.append(word)
    return names


def _check_sentence(number: int, sentence: str, facts: dict[str, Fact]) -> list[str]:
    brackets = _BRACKETS.findall(sentence)
    problems = [
        f"sentence {number} has a malformed citation {b!r}"
        for b in brackets
        if not _CITATION.fullmatch(b)
    ]
    ending = sentence.rstrip(_TRAILING_PUNCTUATION)
    if not ending.endswith("]") or not _CITATION.search(ending[ending.rfind("[") :]):
        return [*problems, f"sentence {number} does not end with a citation: {_quote(sentence)}"]
    cited_ids = [i for b in brackets if _CITATION.fullmatch(b) for i in _FACT_ID.findall(b)]
    problems += [f"sentence {number} cites unknown fact {i!r}" for i in cited_ids if i not in facts]
    cited = [facts[i] for i in cited_ids if i in facts]
    claim = _BRACKETS.sub(" ", sentence)
    numbers = _numbers_in_facts(cited)
    problems += [
        f"sentence {number} states {written!r}, which its cited facts do not"
        for written, canonical in _numbers(claim)
        if canonical not in numbers
    ]
    problems += [
        f"sentence {number} names {name!r}, which its cited facts do not"
        for name in _unsupported_names(claim, _words_in_facts(cited))
    ]
    return problems


def check_narrative(text: str, facts: Sequence[Fact]) -> NarrativeCheck:
    """Accept ``text`` only if every sentence cites known facts that back all it states.

    Each sentence must end with citations such as ``[f2]`` or ``[f2, f5]``; every number (digits,
    amounts, percentages, dates, times, spelled-out counts, month names) and every capitalized
    word inside a sentence must appear in the facts that sentence cites.
    """
    if not text.strip():
        return NarrativeCheck(ok=False, problems=["the narrative is empty"])
    if len(text) > MAX_CHARS:
        return NarrativeCheck(
            ok=False, problems=[f"the narrative is {len(text)} characters; at most {MAX_CHARS}"]
        )
    by_id = {fact.id: fact for fact in facts}
    problems = [
        problem
        for number, sentence in enumerate(_sentences(text), start=1)
        for problem in _check_sentence(number, sentence, by_id)
    ]
    return NarrativeCheck(ok=not problems, problems=problems)


def _messages(facts: Sequence[Fact]) -> list[ChatCompletionMessageParam]:
    # One line per fact; a fact cannot close the data block early (customer text is in there).
    lines = "\n".join(
        f"[{fact.id}] {' '.join(_FACTS_TAG.sub('', fact.text).split())[:_FACT_CHARS]}"
        for fact in facts[:MAX_FACTS]
    )
    return [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": f"<facts>\n{lines}\n</facts>\n\nWrite the paragraph."},
    ]


async def write_narrative(
    client: LLMClient, briefing: Briefing, *, deadline: float
) -> tuple[Briefing, LLMCallTrace | None, str | None]:
    """Ask the LLM for the narrative; keep it only if ``check_narrative`` accepts it.

    Returns the briefing (with ``narrative_source="llm"`` when accepted, else unchanged), the
    call's trace for the decision record (None when no call was made), and why the template was
    kept: ``"rejected: ..."`` with the problems, or the ``LLMError`` code. ``deadline`` is in
    the client's clock, as for ``LLMClient.chat``.
    """
    if not briefing.facts:
        return briefing, None, "skipped: no facts"
    try:
        result = await client.chat(
            _messages(briefing.facts),
            deadline=deadline,
            max_tokens=client.config.narrative_max_tokens,
            purpose="narrative",
            stream=True,  # a narrative out of time is closed, and the server stops writing
        )
    except LLMError as exc:
        trace = LLMCallTrace.failed("narrative", client.model, exc, NARRATIVE_PROMPT_VERSION)
        return briefing, trace, exc.code.value
    text = " ".join((result.content or "").split())
    check = (
        NarrativeCheck(ok=False, problems=["the model refused"])
        if result.refusal
        else check_narrative(text, briefing.facts)
    )
    trace = LLMCallTrace(
        purpose="narrative",
        model=result.model,
        latency_ms=round(result.latency_ms, 3),
        attempts=result.attempts,
        usage=result.usage,
        prompt_version=NARRATIVE_PROMPT_VERSION,
        request_chars=result.request_chars,
        outcome="ok" if check.ok else "rejected",
    )
    if not check.ok:
        return briefing, trace, "rejected: " + "; ".join(check.problems)
    return briefing.model_copy(update={"narrative": text, "narrative_source": "llm"}), trace, None

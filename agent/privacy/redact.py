"""What a decision record keeps of a person: tokens, not identities; scrubbed text.

Before a record is stored, the customer's name and identity values (e-mail, phone, CRM id, ...)
become keyed tokens wherever they appear, in any field, and every string is scrubbed of e-mail
addresses, phone numbers, card numbers and IBANs. The raw values stay in the customer store
only; the record lists each field it changed in ``redactions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from agent.events import scrub_event
from agent.privacy.scrub import scrub
from agent.privacy.tokens import Tokenizer
from agent.profile import Profile
from agent.record import DecideRequest, DecisionRecordV1

__all__ = ["personal_values", "redact_record", "scrub_request"]

_MIN_NAME_PART = 3


def personal_values(
    profile: Profile, tokenizer: Tokenizer
) -> tuple[dict[str, str], dict[str, str]]:
    """The profile's raw personal values and the tokens that stand for them: the full name
    and identity values (matched in any case), and the name's parts (matched as written, so
    that a Will or a Rose does not take every "will" and "rose" with it)."""
    whole: dict[str, str] = {}
    parts: dict[str, str] = {}
    if profile.name and profile.name.strip():
        token = tokenizer.token("name", profile.name)
        whole[profile.name.strip()] = token
        for part in re.findall(r"[^\W\d_]+", profile.name):
            if len(part) >= _MIN_NAME_PART:
                parts[part] = token
    for identity in profile.identities:
        whole[identity.value.strip()] = tokenizer.token(identity.kind, identity.value)
    return whole, parts


def _pattern(values: dict[str, str], flags: int) -> re.Pattern[str] | None:
    if not values:
        return None
    ordered = sorted(values, key=len, reverse=True)  # "Arjun Mehta" before "Arjun"
    return re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v in ordered), flags)


def _replacer(whole: dict[str, str], parts: dict[str, str]) -> Callable[[str], str]:
    """The cleaning of one record's strings, each distinct string cleaned once (a record
    repeats ids, codes and enum values hundreds of times)."""
    any_case = _pattern(whole, re.IGNORECASE)
    as_written = _pattern(parts, 0)
    lowered = {value.casefold(): token for value, token in whole.items()}
    done: dict[str, str] = {}

    def replace(text: str) -> str:
        cleaned = done.get(text)
        if cleaned is None:
            cleaned = text
            if any_case is not None:
                cleaned = any_case.sub(lambda m: lowered[m.group(0).casefold()], cleaned)
            if as_written is not None:
                cleaned = as_written.sub(lambda m: parts[m.group(0)], cleaned)
            cleaned = done[text] = scrub(cleaned)
        return cleaned

    return replace


def _walk(value: Any, path: list[str], clean: Callable[[str], str], changed: list[str]) -> Any:
    """The value with every string cleaned; the path of each one that changed (``path`` is
    the way down, kept as a stack and joined only for a change)."""
    if isinstance(value, str):
        cleaned = clean(value)
        if cleaned is not value and cleaned != value:
            changed.append(".".join(path))
        return cleaned
    if isinstance(value, dict):
        walked = {}
        for key, item in value.items():
            path.append(key)
            walked[key] = _walk(item, path, clean, changed)
            path.pop()
        return walked
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            path.append(str(index))
            items.append(_walk(item, path, clean, changed))
            path.pop()
        return items
    return value


def redact_record(record: DecisionRecordV1, tokenizer: Tokenizer) -> DecisionRecordV1:
    """The record as it may be stored: no raw identities, no card numbers, no contacts."""
    changed: list[str] = []
    data = record.model_dump(mode="json", exclude={"redactions"})
    clean = _replacer(*personal_values(record.profile, tokenizer))
    data = _walk(data, [], clean, changed)
    data["redactions"] = [*record.redactions, *(f"stored:{path}" for path in changed)]
    try:
        return DecisionRecordV1.model_validate(data)
    except ValidationError as exc:
        return DecisionRecordV1.model_validate(_code_safe(data, exc))


REDACTED_CODE = "redacted"
"""What a redacted code becomes: an identifier a model wrote as a phone number or a name
(``reason_code: "07700900123"``) cannot keep its placeholder ``[phone]``, which no code
pattern admits."""


def _has(node: Any, step: int | str) -> bool:
    if isinstance(node, list):
        return isinstance(step, int) and step < len(node)
    return isinstance(node, dict) and step in node


def _code_safe(data: dict[str, Any], exc: ValidationError) -> dict[str, Any]:
    """``data`` with each string that redaction left unfit for its pattern set to
    ``REDACTED_CODE``. Error locations name union members too (``call.send_message.args``):
    a step that is not a key of the data is the member's tag, and skipped."""
    for error in exc.errors():
        if error["type"] != "string_pattern_mismatch":
            raise exc
        node: Any = data
        *path, last = error["loc"]
        for step in path:
            if _has(node, step):
                node = node[step]
        if _has(node, last):
            node[last] = REDACTED_CODE
    return data


def scrub_request(request: DecideRequest) -> DecideRequest:
    """The request as the agent reasons on it: its events' texts and the stated reason free of
    contacts, card numbers and IBANs (a card number typed into a chat goes no further)."""
    context = request.context
    if context.reason:
        context = context.model_copy(update={"reason": scrub(context.reason)})
    return request.model_copy(
        update={"events": [scrub_event(e) for e in request.events], "context": context}
    )

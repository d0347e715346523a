"""Free text scrubbed of what it must not carry: e-mail addresses, phone numbers, payment card
numbers (Luhn-checked) and IBANs (mod-97-checked) become placeholders, before text is stored
or sent to an LLM. Checksums keep order numbers, dates and amounts as they are."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["PLACEHOLDERS", "is_iban", "luhn", "scrub"]

PLACEHOLDERS = ("[email]", "[phone]", "[card]", "[iban]")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_DIGITS = re.compile(r"(?<![\w.:-])(?:\+|00|\()?\d[\d\s().-]{7,}\d(?![\w:-]|\.\d)")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MIN_PHONE_DIGITS = 9


def luhn(number: str) -> bool:
    """The Luhn checksum of a payment card number (digits only)."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_iban(candidate: str) -> bool:
    """ISO 13616: the mod-97 check of an IBAN (spaces ignored)."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _digits(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = "".join(ch for ch in found if ch.isdigit())
    if _DECIMAL.match(found) or _DATE.match(found):
        return found
    if 13 <= len(digits) <= 19 and luhn(digits) and not found.startswith(("+", "00", "(")):
        return "[card]"
    return "[phone]" if len(digits) >= _MIN_PHONE_DIGITS else found


def _iban(match: re.Match[str]) -> str:
    return "[iban]" if is_iban(match.group(0)) else match.group(0)


@lru_cache(maxsize=16384)
def scrub(text: str) -> str:
    """The text with e-mail addresses, IBANs, card numbers and phone numbers replaced.

    Cached: a stored customer's history is read again on every decision."""
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub(_iban, text)
    return _DIGITS.sub(_digits, text)

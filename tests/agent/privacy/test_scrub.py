"""Free text scrubbed of contacts, card numbers and IBANs, and nothing else."""

from __future__ import annotations

import pytest

from agent.privacy import is_iban, luhn, scrub


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        pytest.param("mail me at ana.costa+shop@example.co.uk", "mail me at [email]", id="email"),
        pytest.param("call +44 7700 900412 tonight", "call [phone] tonight", id="phone-intl"),
        pytest.param("my number is 0176 2345 6789", "my number is [phone]", id="phone-local"),
        pytest.param(
            "card 4111 1111 1111 1111 was charged", "card [card] was charged", id="visa-spaced"
        ),
        pytest.param("5555-5555-5555-4444 twice", "[card] twice", id="mastercard-dashed"),
        pytest.param("pan 378282246310005.", "pan [card].", id="amex"),
        pytest.param(
            "refund to DE89 3704 0044 0532 0130 00 please", "refund to [iban] please", id="iban"
        ),
        pytest.param("IBAN GB82WEST12345698765432", "IBAN [iban]", id="iban-compact"),
    ],
)
def test_what_is_scrubbed(text: str, scrubbed: str) -> None:
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("order ORD-7781243 of 189.00 EUR on 2026-11-20", id="order-amount-date"),
        pytest.param("4111 1111 1111 1112 is not a card", id="luhn-fails-short-phone-no"),
        pytest.param("score 0.73412341 at 2026-11-20T10:00:00Z", id="decimal-timestamp"),
        pytest.param("GB82WEST12345698765431 is not an IBAN", id="iban-checksum-fails"),
        pytest.param("error SYNC-409, build 20261120", id="codes"),
    ],
)
def test_what_is_left_alone(text: str) -> None:
    scrubbed = scrub(text)
    assert "[card]" not in scrubbed
    assert "[iban]" not in scrubbed
    assert "[email]" not in scrubbed


def test_checksums() -> None:
    assert luhn("4111111111111111")
    assert not luhn("4111111111111112")
    assert is_iban("DE89 3704 0044 0532 0130 00")
    assert not is_iban("DE89 3704 0044 0532 0130 01")
    assert not is_iban("DE89")

"""A stored record keeps tokens, not identities, and no card numbers or contacts in any text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.events import Event
from agent.privacy import Tokenizer
from agent.privacy.redact import personal_values, redact_record, scrub_request
from agent.record import DecideRequest
from tests.factories import NOW, profile

if TYPE_CHECKING:
    from tests.agent.conftest import MakeRecord

TOKENS = Tokenizer(b"k" * 32)
PERSON: dict[str, Any] = {
    "customer_id": "c13_amehta",
    "name": "Arjun Mehta",
    "identities": [
        {"kind": "email", "value": "arjun.mehta@example.nl"},
        {"kind": "phone", "value": "+31 6 1234 5678"},
        {"kind": "crm", "value": "CRM-881204"},
    ],
}


def test_tokens_are_stable_keyed_and_normalized() -> None:
    email = TOKENS.token("email", "Arjun.Mehta@example.nl ")
    assert email == TOKENS.token("email", "arjun.mehta@example.nl")
    assert email.startswith("tok_")
    assert len(email) == 24
    assert TOKENS.token("phone", "+31 6 1234 5678") == TOKENS.token("phone", "+31612345678")
    assert Tokenizer(b"x" * 32).token("email", "arjun.mehta@example.nl") != email
    assert TOKENS.token("name", "arjun.mehta@example.nl") != email  # the kind is keyed in


def test_a_stored_record_holds_no_identity_anywhere(make_record: MakeRecord) -> None:
    record = make_record(customer_id="c13_amehta")
    record = record.model_copy(
        update={
            "profile": profile(**PERSON),
            "rationale": "Arjun Mehta (arjun.mehta@example.nl) asked; Mehta waits.",
            "events": [
                Event(
                    id="e1",
                    ts=NOW,
                    channel="chat",
                    type="chat_message",
                    text="Hi, I'm Arjun, card 4111 1111 1111 1111, CRM-881204, "
                    "call +31 6 1234 5678",
                )
            ],
        }
    )
    stored = redact_record(record, TOKENS)
    text = stored.model_dump_json()
    for raw in ("Arjun", "Mehta", "arjun.mehta@example.nl", "4111", "CRM-881204", "1234 5678"):
        assert raw not in text, raw
    name = TOKENS.token("name", "Arjun Mehta")
    assert stored.profile.name == name
    assert [i.value for i in stored.profile.identities] == [
        TOKENS.token("email", "arjun.mehta@example.nl"),
        TOKENS.token("phone", "+31 6 1234 5678"),
        TOKENS.token("crm", "CRM-881204"),
    ]
    assert stored.rationale == (
        f"{name} ({TOKENS.token('email', 'arjun.mehta@example.nl')}) asked; {name} waits."
    )
    assert "[card]" in (stored.events[0].text or "")
    assert {"stored:profile.name", "stored:rationale", "stored:events.0.text"} <= set(
        stored.redactions
    )
    assert stored.decision_id == record.decision_id
    assert stored.customer_id == "c13_amehta"  # the pseudonymous key stays


def test_name_parts_are_matched_as_written() -> None:
    whole, parts = personal_values(profile(name="Will Rose"), TOKENS)
    assert set(whole) == {"Will Rose"}
    assert set(parts) == {"Will", "Rose"}


def test_the_request_is_scrubbed_before_the_agent_reads_it() -> None:
    request = DecideRequest.model_validate(
        {
            "customer_id": "c13_amehta",
            "events": [
                {
                    "id": "e1",
                    "ts": NOW,
                    "channel": "chat",
                    "type": "chat_message",
                    "text": "my card 5555 5555 5555 4444 got charged twice",
                    "properties": {"iban": "DE89 3704 0044 0532 0130 00", "n": 2},
                }
            ],
            "context": {"reason": "charged twice on 4111111111111111"},
        }
    )
    scrubbed = scrub_request(request)
    assert scrubbed.events[0].text == "my card [card] got charged twice"
    assert scrubbed.events[0].properties == {"iban": "[iban]", "n": 2}
    assert scrubbed.context.reason == "charged twice on [card]"

"""Privacy by default: what a stored decision keeps of a person, and how it is forgotten.

``scrub`` takes contacts, card numbers and IBANs out of free text; ``Tokenizer`` turns
identities into stable keyed tokens; ``redact_record`` applies both to a record before it is
stored; ``RecordCipher`` seals each record with its customer's key, which erasure destroys.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.privacy.cipher import SEALED_PREFIX, RecordCipher, SealBroken
from agent.privacy.scrub import PLACEHOLDERS, is_iban, luhn, scrub
from agent.privacy.secrets import SECRET_FILE, Keys, load_master_secret, write_private
from agent.privacy.tokens import Tokenizer


@dataclass(frozen=True, slots=True)
class Privacy:
    """The keyed parts of privacy, from the service's master secret."""

    tokenizer: Tokenizer
    cipher: RecordCipher

    @classmethod
    def from_secret(cls, master: bytes) -> Privacy:
        keys = Keys.derive(master)
        return cls(tokenizer=Tokenizer(keys.token), cipher=RecordCipher(keys.wrap))


__all__ = [
    "PLACEHOLDERS",
    "SEALED_PREFIX",
    "SECRET_FILE",
    "Keys",
    "Privacy",
    "RecordCipher",
    "SealBroken",
    "Tokenizer",
    "is_iban",
    "load_master_secret",
    "luhn",
    "scrub",
    "write_private",
]

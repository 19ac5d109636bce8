"""Licence identifiers (电子证照标识) and their ISO 7064 MOD 37,36 check character.

    1.2.156.3005.2.{licence type code}.{issuer code}.{serial}.{3-digit version}.{check character}

The check character is ISO 7064 MOD 37,36 (the hybrid system over 0-9 A-Z) computed over the alphanumeric
characters of everything before it, the dots left out (a dot is not in the system's alphabet). Letters are taken as
upper case. docs/decisions/0010-licence-data-and-verification.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MODULUS = 36  # M; the hybrid system also works modulo M + 1 = 37
IDENTIFIER_PREFIX = "1.2.156.3005.2"
_PART = r"[0-9A-Z]+"
_IDENTIFIER = re.compile(
    rf"^{re.escape(IDENTIFIER_PREFIX)}\.(?P<type>{_PART})\.(?P<issuer>{_PART})\.(?P<serial>[0-9]+)"
    r"\.(?P<version>[0-9]{3})\.(?P<check>[0-9A-Z])$"
)


def mod37_36_check(text: str) -> str:
    """The ISO 7064 MOD 37,36 check character of `text` (characters 0-9, A-Z; ValueError on anything else)."""
    product = _MODULUS
    for char in text.upper():
        value = ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"character {char!r} is not in the MOD 37,36 alphabet")
        total = (product + value) % _MODULUS or _MODULUS
        product = (total * 2) % (_MODULUS + 1)
    return ALPHABET[(_MODULUS + 1 - product) % _MODULUS]


def mod37_36_valid(text: str) -> bool:
    """Whether the last character of `text` is the MOD 37,36 check character of the rest."""
    try:
        return len(text) > 1 and mod37_36_check(text[:-1]) == text[-1].upper()
    except ValueError:
        return False


def _check_input(body: str) -> str:
    return body.replace(".", "")


@dataclass(frozen=True)
class LicenceIdentifier:
    """The parts of a licence identifier."""

    type_code: str
    issuer_code: str
    serial: str
    version: int

    @property
    def body(self) -> str:
        """Everything before the check character, without the trailing dot."""
        return f"{IDENTIFIER_PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}"

    def __str__(self) -> str:
        return f"{self.body}.{mod37_36_check(_check_input(self.body))}"


def parse_identifier(text: str) -> LicenceIdentifier | None:
    """The identifier's parts when it is well formed and its check character right; None otherwise."""
    match = _IDENTIFIER.match((text or "").strip().upper())
    if match is None:
        return None
    parsed = LicenceIdentifier(match["type"], match["issuer"], match["serial"], int(match["version"]))
    if mod37_36_check(_check_input(parsed.body)) != match["check"]:
        return None
    return parsed

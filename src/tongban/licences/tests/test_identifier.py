"""Licence identifiers and the ISO 7064 MOD 37,36 check character."""

from __future__ import annotations

import random

import pytest
from stdnum.iso7064 import mod_37_36

from tongban.licences.identifier import (
    ALPHABET,
    LicenceIdentifier,
    mod37_36_check,
    mod37_36_valid,
    parse_identifier,
)


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("A12425GABC1234002", "M"),  # the GRid example (ISO 7064 MOD 37,36 hybrid, as in python-stdnum's docs)
        ("0", "2"),  # by hand: p=36, s=36, p=72 mod 37=35, check=(37-35) mod 36=2
        ("Z", "4"),  # by hand: s=(36+35) mod 36=35, p=70 mod 37=33, check=4
    ],
)
def test_known_vectors(body, check):
    assert mod37_36_check(body) == check
    assert mod37_36_valid(body + check) is True


def test_agrees_with_an_independent_implementation():
    rng = random.Random(7064)
    for _ in range(3000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 60)))
        assert mod37_36_check(text) == mod_37_36.calc_check_digit(text), text


def test_every_single_substitution_and_adjacent_transposition_is_detected():
    body = "JY11330122002567890E2026000001001"
    check = mod37_36_check(body)
    for position, original in enumerate(body):
        for replacement in ALPHABET:
            if replacement != original:
                changed = body[:position] + replacement + body[position + 1 :]
                assert mod37_36_check(changed) != check
    for position in range(len(body) - 1):
        a, b = body[position], body[position + 1]
        if a != b:
            swapped = body[:position] + b + a + body[position + 2 :]
            assert mod37_36_check(swapped) != check


def test_lower_case_counts_as_upper_and_other_characters_are_refused():
    assert mod37_36_check("a12425gabc1234002") == "M"
    with pytest.raises(ValueError):
        mod37_36_check("A1.2")
    assert mod37_36_valid("A1.2") is False
    assert mod37_36_valid("") is False


def test_identifier_format_and_check_over_the_characters_without_dots():
    identifier = LicenceIdentifier("JY", "11330122002567890E", "2026000001", 1)
    text = str(identifier)
    body = "1.2.156.3005.2.JY.11330122002567890E.2026000001.001"
    assert text == f"{body}.{mod_37_36.calc_check_digit(body.replace('.', ''))}"
    assert parse_identifier(text) == identifier
    assert parse_identifier(text.lower()) == identifier


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.2.156.3005.2.JY.11330122002567890E.2026000001.001",  # no check character
        "1.2.156.3005.2.JY.11330122002567890E.2026000001.01.X",  # version not 3 digits
        "1.2.156.3005.1.JY.11330122002567890E.2026000001.001.X",  # another prefix
        "1.2.156.3005.2.JY.11330122002567890E.2026000001.001.XX",
        "1.2.156.3005.2.J-Y.11330122002567890E.2026000001.001.X",
    ],
)
def test_malformed_identifiers_are_refused(text):
    assert parse_identifier(text) is None


def test_a_wrong_check_character_is_refused():
    text = str(LicenceIdentifier("JY", "11330122002567890E", "2026000001", 1))
    for wrong in ALPHABET.replace(text[-1], ""):
        assert parse_identifier(text[:-1] + wrong) is None

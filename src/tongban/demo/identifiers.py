"""Valid-looking identifiers for demo people and bodies, computed with the real check algorithms (never real people)."""

from __future__ import annotations

from stdnum.cn import ric, uscc

_ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(region_code: str, birth_yyyymmdd: str, sequence: int, *, female: bool) -> str:
    """An 18-digit resident ID (GB 11643): region + birth date + 3-digit sequence (odd for men) + check digit."""
    seq = sequence * 2 + (0 if female else 1)
    body = f"{region_code}{birth_yyyymmdd}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def organisation_code(base8: str) -> str:
    """A 9-character organisation code (GB 11714): 8 characters plus its MOD 11 check character."""
    total = sum(_ORG_CODE_ALPHABET.index(ch) * w for ch, w in zip(base8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return base8 + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(registration: str, region_code: str, org_base8: str) -> str:
    """An 18-character unified social credit code (GB 32100): 2-char registration type + region + org code + check."""
    body = f"{registration}{region_code}{organisation_code(org_base8)}"
    return body + uscc.calc_check_digit(body)

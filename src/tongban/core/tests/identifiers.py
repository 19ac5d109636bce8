"""Build valid test identifiers from their check-digit algorithms (DOMAIN.md), never from real people's numbers."""

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def id_check(body17: str) -> str:
    """GB 11643: sum of digit x weight, mod 11, mapped through "10X98765432"."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


def id_number(region: str = "330106", birth: str = "19900307", sequence: str = "123") -> str:
    body = region + birth + sequence
    return body + id_check(body)


def uscc_check(body17: str) -> str:
    """GB 32100: check = 31 - (sum of value x weight mod 31), 31 -> 0."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc(body17: str = "11330106704296351") -> str:
    return body17 + uscc_check(body17)

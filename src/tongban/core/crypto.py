"""National cryptography (商用密码): SM3 hashing, SM2 signatures, SM4-GCM encryption."""

from __future__ import annotations

import gmalglib


def sm3_digest(data: bytes) -> bytes:
    """SM3 hash (GB/T 32905) of data: 32 bytes."""
    return gmalglib.sm3_digest(data)


def sm3_hex(data: bytes) -> str:
    return sm3_digest(data).hex()

"""Things made once per process for a certificate, kept by the certificate's fingerprint.

A certificate, its chain and its key never change (rotation makes new ones), so what is derived from them — a
parsed pyHanko signer, the key's Signer — can be kept for the life of a worker process instead of being read and
parsed again for every licence. The key is the certificate's SM3 fingerprint, not its row id: a row id can be reused
(a test database rolled back), the content cannot. The store is bounded: it is emptied when full, so a long-lived
worker does not keep every certificate it ever saw. Losing an entry only costs making it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from tongban.licences.models import Certificate

T = TypeVar("T")
KEPT = 64


class PerCertificate(Generic[T]):
    """`make(certificate)` once per certificate and process; call the instance to get the value."""

    def __init__(self, make: Callable[[Certificate], T], kept: int = KEPT):
        self._make = make
        self._kept = kept
        self._values: dict[str, T] = {}

    def __call__(self, certificate: Certificate) -> T:
        value = self._values.get(certificate.sm3_fingerprint)
        if value is None:
            value = self._make(certificate)  # two threads may both make it: the same value, one is kept
            if len(self._values) >= self._kept:
                self._values.clear()
            self._values[certificate.sm3_fingerprint] = value
        return value

    def get(self, certificate: Certificate) -> T | None:
        """The value kept for the certificate, without making it."""
        return self._values.get(certificate.sm3_fingerprint)

    def clear(self) -> None:
        self._values.clear()

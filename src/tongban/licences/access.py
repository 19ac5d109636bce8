"""Loading a licence for whoever asks: anyone may verify by identifier; the data package is the holder's."""

from __future__ import annotations

from tongban.core.errors import DomainError
from tongban.licences.errors import LicenceError
from tongban.licences.identifier import parse_identifier
from tongban.licences.models import Licence


def licence_for_verification(identifier: str) -> Licence:
    """The licence with this identifier for public verification; typed errors for a bad check character or none."""
    if parse_identifier(identifier) is None:
        raise DomainError(LicenceError.IDENTIFIER_INVALID)
    licence = (
        Licence.objects.select_related("licence_type", "issuer", "seal")
        .filter(identifier=identifier.strip().upper())
        .first()
    )
    if licence is None:
        raise DomainError(LicenceError.LICENCE_NOT_FOUND)
    return licence


def licence_for_holder(actor, identifier: str) -> Licence:
    """The licence when `actor` is its holder (or a superuser); the same not-found answer otherwise, so the public
    cannot tell whose licence an identifier is from this call."""
    licence = licence_for_verification(identifier)
    if not getattr(actor, "is_authenticated", False):
        raise DomainError(LicenceError.LICENCE_NOT_FOUND)
    if not (actor.is_superuser or licence.holder_id == actor.pk):
        raise DomainError(LicenceError.LICENCE_NOT_FOUND)
    return licence

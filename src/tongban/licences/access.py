"""Loading a licence for whoever asks: anyone may verify by identifier; the data package and the wallet are the
holder's (a person, or an enterprise's representative and its agents within scope); a grant (用证授权) lets a named
organisation's staff or whoever holds a link view one licence until it expires or is revoked."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from tongban.accounts.access import staff_roles
from tongban.accounts.enterprises import ActingRole
from tongban.accounts.models import RealNameLevel, UserKind
from tongban.core import crypto
from tongban.core.errors import DomainError
from tongban.licences.errors import LicenceError
from tongban.licences.identifier import parse_identifier
from tongban.licences.models import HolderIdType, Licence, LicenceShare, ShareKind


def _whole_licence(identifier: str) -> Licence | None:
    return Licence.objects.select_related("licence_type", "issuer", "seal").filter(identifier=identifier).first()


def licence_for_verification(identifier: str, find=_whole_licence) -> Licence:
    """The licence with this identifier for public verification; typed errors for a bad check character or none.
    `find` loads it by the normalised identifier (public verification reads fewer columns: summary.py)."""
    if parse_identifier(identifier) is None:
        raise DomainError(LicenceError.IDENTIFIER_INVALID)
    licence = find(identifier.strip().upper())
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


# ---------------------------------------------------------------------------------------------------------------
# The wallet (我的证照): a person's own licences, or an enterprise's seen by its representative and by its agents
# within their scope (the identity machinery of cases.access.applicant_cases); grants to view one (用证授权).


def _holder_account(user, identity):
    """The account whose licences the current identity sees: the enterprise switched to, or the person."""
    return identity.enterprise if identity is not None else user


def held_by(account) -> Q:
    """Licences of the account: linked to it, or (imported, no account yet) naming its verified ID number."""
    condition = Q(holder_id=account.pk)
    verified = account.kind == UserKind.ENTERPRISE or account.real_name_level >= RealNameLevel.L2
    if verified and account.id_number_index:
        id_type = HolderIdType.USCC if account.kind == UserKind.ENTERPRISE else HolderIdType.RESIDENT_ID
        condition |= Q(holder__isnull=True, holder_id_type=id_type, holder_id_index=account.id_number_index)
    return condition


def _agent_scope(identity) -> Q:
    """The enterprise licences an agent sees: those from cases of items in scope, and the licence types those items
    result in (one query for the types)."""
    from tongban.catalog.models import ItemVersion

    authorisation = identity.authorisation
    if authorisation is None or authorisation.all_items:
        return Q()
    codes = [str(code).upper() for code in authorisation.item_codes]
    in_scope = Q(item__code__in=codes) | Q(item__basic_item__code__in=codes)
    type_codes = {
        code.strip().upper()
        for code in ItemVersion.objects.filter(in_scope)
        .exclude(result_licence_type="")
        .values_list("result_licence_type", flat=True)
    }
    return (
        Q(source_case__item__code__in=codes)
        | Q(source_case__item__basic_item__code__in=codes)
        | Q(licence_type__code__in=sorted(type_codes))
    )


def wallet_licences(user, identity) -> QuerySet[Licence]:
    """The licences of the current identity (personal, or the enterprise within an agent's scope); none for anyone
    who is not a signed-in person."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.PERSON:
        return Licence.objects.none()
    licences = Licence.objects.filter(held_by(_holder_account(user, identity)))
    if identity is not None and identity.role == ActingRole.AGENT:
        licences = licences.filter(_agent_scope(identity))
    return licences


def licence_for_wallet(user, identity, identifier: str) -> Licence:
    """One licence of the current identity's wallet, or LICENCE_NOT_FOUND (the same answer as for a stranger's)."""
    licence = (
        wallet_licences(user, identity)
        .select_related("licence_type", "issuer")
        .filter(identifier=str(identifier).strip().upper())
        .first()
    )
    if licence is None:
        raise DomainError(LicenceError.LICENCE_NOT_FOUND)
    return licence


def may_share(user, identity) -> bool:
    """Grants are the holder's to give: the person for their own licences, the representative for the enterprise's
    (an agent may use the enterprise's licences but not hand them to others)."""
    return identity is None or identity.role == ActingRole.REPRESENTATIVE


def licence_for_sharing(user, identity, identifier: str) -> Licence:
    """A wallet licence the current identity may grant or revoke grants for, or a typed refusal."""
    licence = licence_for_wallet(user, identity, identifier)
    if not may_share(user, identity):
        raise DomainError(LicenceError.SHARE_NOT_ALLOWED)
    return licence


def share_for_holder(licence: Licence, share_id) -> LicenceShare:
    """One grant of a licence already loaded for its holder, by public id, or SHARE_NOT_FOUND."""
    share = LicenceShare.objects.select_related("organisation").filter(licence=licence, public_id=share_id).first()
    if share is None:
        raise DomainError(LicenceError.SHARE_NOT_FOUND)
    return share


def require_live(share: LicenceShare, now: dt.datetime) -> LicenceShare:
    """Refuse a grant the holder revoked or that ran out: it stops working at once."""
    if share.revoked_at is not None:
        raise DomainError(LicenceError.SHARE_REVOKED)
    if share.expires_at <= now:
        raise DomainError(LicenceError.SHARE_EXPIRED)
    return share


def token_digest(token: str) -> str:
    """What is stored of a link token: its SM3 digest (the token itself is shown to the holder once)."""
    return crypto.sm3_hex(str(token).strip().encode())


def share_by_token(token: str, now: dt.datetime) -> LicenceShare:
    """The live link grant for this token, or SHARE_NOT_FOUND / SHARE_REVOKED / SHARE_EXPIRED."""
    if not token or len(token) > 100:
        raise DomainError(LicenceError.SHARE_NOT_FOUND)
    share = (
        LicenceShare.objects.select_related("licence__licence_type", "licence__issuer")
        .filter(kind=ShareKind.LINK, token_hash=token_digest(token))
        .first()
    )
    if share is None:
        raise DomainError(LicenceError.SHARE_NOT_FOUND)
    return require_live(share, now)


def staff_organisation_ids(user) -> list[int]:
    """The organisations where the user holds any staff role (grants name an organisation, not a role)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted({held.organisation_id for held in staff_roles(user)})


def shares_for_staff(user, now: dt.datetime) -> QuerySet[LicenceShare]:
    """Live grants made to the organisations the user works in."""
    return LicenceShare.objects.filter(
        kind=ShareKind.ORGANISATION,
        organisation_id__in=staff_organisation_ids(user),
        revoked_at__isnull=True,
        expires_at__gt=now,
    )


def share_for_staff(user, share_id, now: dt.datetime) -> LicenceShare:
    """A grant to one of the user's organisations, by public id: SHARE_NOT_FOUND when it is not theirs, and the
    clear revoked / expired answers when it was theirs but stopped working."""
    share = (
        LicenceShare.objects.select_related("organisation", "licence__licence_type", "licence__issuer")
        .filter(kind=ShareKind.ORGANISATION, public_id=share_id, organisation_id__in=staff_organisation_ids(user))
        .first()
    )
    if share is None:
        raise DomainError(LicenceError.SHARE_NOT_FOUND)
    return require_live(share, now)

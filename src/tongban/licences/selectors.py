"""Reads of certificates and seals: the current ones, the ones current at a moment, and a certificate's chain.

These are platform credentials, public by nature (a certificate and a seal are shown to anyone verifying a
licence); private keys are never read here.
"""

from __future__ import annotations

import datetime as dt
import functools
from types import SimpleNamespace

from django.db import connections
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongban.core.models import Organisation
from tongban.licences.models import Certificate, CredentialStatus, Seal


def platform_ca(purpose: str) -> Certificate | None:
    """The current platform root of that purpose (SM2_CA or ECDSA_CA), or None before licences_init."""
    return (
        Certificate.objects.select_related("key")
        .filter(purpose=purpose, organisation=None, status=CredentialStatus.CURRENT)
        .first()
    )


def certificate_current(organisation: Organisation, purpose: str) -> Certificate | None:
    """The organisation's current certificate of a purpose (SEAL or PDF)."""
    return (
        Certificate.objects.select_related("key", "issuer")
        .filter(organisation=organisation, purpose=purpose, status=CredentialStatus.CURRENT)
        .first()
    )


def has_current_certificate(organisation: Organisation, purpose: str) -> bool:
    """Whether the organisation has a current certificate of that purpose (issuing checks it; the render reads it)."""
    current = Certificate.objects.filter(organisation=organisation, purpose=purpose, status=CredentialStatus.CURRENT)
    return current.exists()


def _current_at(moment: dt.datetime) -> Q:
    # created_at and superseded_at are exact to the microsecond (the certificate's own validity is whole seconds), so
    # a rotation within the same second as a signature still tells which certificate was current.
    # Revoked certificates stay in history too: whether a revocation matters for old signatures is the caller's call.
    return Q(created_at__lte=moment) & (Q(superseded_at__isnull=True) | Q(superseded_at__gt=moment))


def certificate_at(organisation: Organisation, purpose: str, moment: dt.datetime) -> Certificate | None:
    """The certificate of that purpose the organisation used at `moment` (to verify what it signed then)."""
    return (
        Certificate.objects.select_related("key", "issuer")
        .filter(_current_at(moment), organisation=organisation, purpose=purpose)
        .order_by("-created_at", "-id")
        .first()
    )


def seal_current(organisation: Organisation) -> Seal | None:
    """The organisation's current electronic seal."""
    return (
        Seal.objects.select_related("certificate", "maker_certificate")
        .filter(organisation=organisation, status=CredentialStatus.CURRENT)
        .first()
    )


def seal_at(organisation: Organisation, moment: dt.datetime) -> Seal | None:
    """The seal the organisation used at `moment`."""
    return (
        Seal.objects.select_related("certificate", "maker_certificate")
        .filter(_current_at(moment), organisation=organisation)
        .order_by("-created_at", "-id")
        .first()
    )


def certificate_chain(certificate: Certificate) -> list[Certificate]:
    """The certificate followed by its issuers up to the root."""
    chain = [certificate]
    while chain[-1].issuer_id is not None and len(chain) < 5:
        chain.append(chain[-1].issuer)
    return chain


def licence_status(licence, today: dt.date) -> str:
    """The licence's status as of `today`: a valid licence past its last day reads as expired before the expiry job
    has marked it."""
    from tongban.licences.models import LicenceStatus

    if licence.status == LicenceStatus.VALID and licence.valid_until is not None and licence.valid_until < today:
        return LicenceStatus.EXPIRED
    return licence.status


# What public verification reads: the licence's own row only. Not the sealed data, the signature, or the encrypted ID
# number (whose decryption would cost each time); the type's, issuer's and certificate's parts come from the stored
# check (`check_shown`, `check_result`), which triggers forget when those rows change (migration 0002).
VERIFICATION_COLUMNS = (
    "pk",
    "identifier",
    "holder_id",
    "holder_name",
    "holder_id_type",
    "public_id_number",
    "issued_on",
    "valid_from",
    "valid_until",
    "region_code",
    "status",
    "revoked_at",
    "revocation_reason",
    "data_sm3",
    "checked_at",
    "check_result",
    "check_shown",
)


class PublicLicence(SimpleNamespace):
    """A licence as public verification reads it (VERIFICATION_COLUMNS), with `licence_type.code/.name`,
    `issuer.uscc/.name` and the public `fields` as stored with its check, so pages that show a licence show this too.
    Nothing here can be saved."""


def _public_licence(row: list) -> PublicLicence:
    values = dict(zip(VERIFICATION_COLUMNS, row, strict=True))
    shown = values["check_shown"] or {}
    return PublicLicence(
        **values,
        licence_type=SimpleNamespace(**shown.get("licence_type", {"code": "", "name": ""})),
        issuer=SimpleNamespace(**shown.get("issuer", {"uscc": "", "name": ""})),
        public_fields=[tuple(field) for field in shown.get("fields", [])],
    )


@functools.cache
def _compiled_public_check(alias: str) -> tuple[str, dict]:
    """The SQL of the public check's one statement for a database, compiled once by the ORM from the columns above
    (compiling it costs more than running it), with the converters of its columns (JSON, dates) by position."""
    from tongban.licences.models import Licence

    query = Licence.objects.filter(identifier="").order_by().values_list(*VERIFICATION_COLUMNS)[:1].query
    compiler = query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    if list(params) != [""]:  # the identifier must be the statement's only parameter
        raise RuntimeError(f"unexpected parameters of the public check: {params!r}")
    return sql, compiler.get_converters([column for column, _info, _alias in compiler.select])


def licence_for_public_check(identifier: str, using: str = "default") -> PublicLicence | None:
    """The licence with this (normalised) identifier as public verification reads it, in one indexed statement on one
    table, with its stored check; None when there is none."""
    sql, converters = _compiled_public_check(using)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [identifier])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for position, (functions, expression) in converters.items():  # as the ORM's compiler.apply_converters does
        for function in functions:
            row[position] = function(row[position], expression, connection)
    return _public_licence(row)


def public_fields(licence) -> list[tuple[str, str, str]]:
    """(name, label, value) of the fields the licence type shows to the public (all unless marked "public": false)."""
    rows = []
    for definition in licence.licence_type.field_definitions or []:
        value = licence.fields.get(definition["name"])
        if definition.get("public", True) and value not in (None, ""):
            rows.append((definition["name"], definition.get("label") or definition["name"], str(value)))
    return rows


def licence_type_by_code(code: str):
    """The active licence type with this code, or None (catalogue item versions name their result by code)."""
    from tongban.licences.models import LicenceType

    if not code:
        return None
    return LicenceType.objects.select_related("issuer").filter(code=code.strip().upper(), active=True).first()


def licence_type_for_version(version):
    """The licence type a catalogue item version results in (its `result_licence_type` code), or None."""
    return licence_type_by_code(version.result_licence_type)


# ---------------------------------------------------------------------------------------------------------------
# The wallet (我的证照) and grants (用证授权), for the pages and the API alike

WALLET_TABS = [
    ("all", _("全部")),
    ("valid", _("有效")),
    ("expired", _("已过期")),
    ("revoked", _("已撤销")),
    ("superseded", _("已变更")),
]


def wallet_tab_filter(tab: str, today: dt.date) -> Q:
    """A wallet tab as a filter, by status as read today: a valid licence past its last day is listed as expired
    before the expiry job has marked it."""
    still_valid = Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    if tab == "valid":
        return Q(status="valid") & still_valid
    if tab == "expired":
        return Q(status="expired") | (Q(status="valid") & ~still_valid)
    if tab in ("revoked", "superseded"):
        return Q(status=tab)
    return Q()


def all_fields(licence) -> list[tuple[str, str, str]]:
    """(name, label, value) of every field, for the holder and those they authorised (the public sees fewer)."""
    rows = []
    for definition in licence.licence_type.field_definitions or []:
        value = licence.fields.get(definition["name"])
        if value not in (None, ""):
            rows.append((definition["name"], definition.get("label") or definition["name"], str(value)))
    return rows


def share_state(share, now: dt.datetime) -> tuple[str, str]:
    """A grant's state as (code, label): live, revoked or expired."""
    if share.revoked_at is not None:
        return "revoked", str(_("已撤销"))
    if share.expires_at <= now:
        return "expired", str(_("已过期"))
    return "live", str(_("生效中"))

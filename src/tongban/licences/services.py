"""Writes for keys, certificates and seals: the platform CAs, organisation keys, seals, rotation. Every one audited.

- `ca_ensure` makes the SM2 and the ECDSA platform roots once.
- `organisation_keys_issue` gives an organisation its SM2 seal certificate and its ECDSA PDF-signing certificate.
- `seal_make` makes the organisation's GB/T 38540 seal, signed by the SM2 CA (the seal maker, 制章者).
- `organisation_keys_rotate` issues new keys and certificates and a new seal; the old ones stay, superseded, so
  what they signed still verifies with the certificate that was current then (selectors.certificate_at).
- `licences_init` does all of it for every active organisation (idempotent).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core import audit, crypto, outbox
from tongban.core.errors import DomainError
from tongban.core.models import Organisation
from tongban.core.numbering import next_serial
from tongban.licences import selectors
from tongban.licences.errors import LicenceError
from tongban.licences.identifier import LicenceIdentifier
from tongban.licences.licence_data import canonical_json, licence_document, valid_until
from tongban.licences.models import (
    ISSUER_PURPOSE,
    PURPOSE_ALGORITHM,
    Certificate,
    CertificatePurpose,
    CredentialStatus,
    HolderIdType,
    Licence,
    LicenceStatus,
    LicenceType,
    RenderStatus,
    Seal,
)
from tongban.licences.pdf import render_licence_pdf, sign_pdf
from tongban.licences.per_certificate import PerCertificate
from tongban.licences.picture import SEAL_SIZE_MM, seal_picture_png
from tongban.licences.seal_format import SealContent, seal_assemble, seal_info, seal_mirror
from tongban.licences.signature_format import signature_assemble, tbs_sign
from tongban.licences.signers import new_key_signer_class, signer_for
from tongban.licences.x509 import CertificateSpec, issue_certificate, new_serial_number, subject_text

CA_VALIDITY = dt.timedelta(days=20 * 365)
ORGANISATION_CERTIFICATE_VALIDITY = dt.timedelta(days=3 * 365)
SEAL_VENDOR_ID = "TONGBAN"  # SES_Header.vid: who made the seal software
_ORGANISATION_UNIT = {CertificatePurpose.SEAL: "电子印章", CertificatePurpose.PDF: "电子证照签名"}
_CA_NAME = {CertificatePurpose.SM2_CA: "SM2 根证书", CertificatePurpose.ECDSA_CA: "ECDSA 根证书"}


@dataclass(frozen=True)
class OrganisationCredentials:
    """An organisation's current seal certificate (SM2), PDF-signing certificate (ECDSA) and seal."""

    seal_certificate: Certificate
    pdf_certificate: Certificate
    seal: Seal | None = None


@dataclass
class InitReport:
    """What licences_init made."""

    cas_created: int = 0
    organisations_keyed: int = 0
    seals_made: int = 0


def _now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def _platform_subject(purpose: str) -> dict[str, str]:
    platform = settings.TONGBAN_PLATFORM_NAME
    return {"country_name": "CN", "organization_name": platform, "common_name": f"{platform} {_CA_NAME[purpose]}"}


def _organisation_subject(organisation: Organisation, purpose: str) -> dict[str, str]:
    return {
        "country_name": "CN",
        "organization_name": organisation.name,
        "organizational_unit_name": _ORGANISATION_UNIT[purpose],
        "common_name": organisation.name,
        "organization_identifier": organisation.uscc,
    }


def _certificate_audit(certificate: Certificate) -> dict:
    return {
        "purpose": certificate.purpose,
        "serial_number": certificate.serial_number,
        "sm3_fingerprint": certificate.sm3_fingerprint,
        "not_after": certificate.not_after,
        "master_key_id": certificate.key.master_key_id,
        "backend": certificate.key.backend,
    }


def _issue(*, purpose: str, organisation: Organisation | None, now: dt.datetime) -> Certificate:
    """Create a key and its certificate, signed by the current CA of the issuing purpose (or by itself for a root)."""
    issuer_purpose = ISSUER_PURPOSE[purpose]
    issuer = selectors.platform_ca(issuer_purpose) if issuer_purpose else None
    if issuer_purpose and issuer is None:
        raise DomainError(LicenceError.CA_MISSING)
    key = new_key_signer_class().create_key(PURPOSE_ALGORITHM[purpose])
    key.save()
    if issuer is None:
        spec = CertificateSpec(_platform_subject(purpose), now, now + CA_VALIDITY, is_ca=True)
        issuer_signer, issuer_der = signer_for(key), None
    else:
        not_after = min(now + ORGANISATION_CERTIFICATE_VALIDITY, issuer.not_after)
        spec = CertificateSpec(_organisation_subject(organisation, purpose), now, not_after, is_ca=False)
        issuer_signer, issuer_der = signer_for(issuer.key), bytes(issuer.der)
    serial_number = new_serial_number()
    der = issue_certificate(
        spec=spec,
        public_key_der=bytes(key.public_key),
        issuer_signer=issuer_signer,
        issuer_certificate_der=issuer_der,
        serial_number=serial_number,
    )
    return Certificate.objects.create(
        purpose=purpose,
        organisation=organisation,
        key=key,
        issuer=issuer,
        serial_number=f"{serial_number:x}",
        subject=subject_text(der),
        der=der,
        sm3_fingerprint=crypto.sm3_hex(der),
        not_before=spec.not_before,
        not_after=spec.not_after,
    )


@transaction.atomic
def ca_ensure(*, actor=None) -> tuple[Certificate, Certificate]:
    """The platform's SM2 and ECDSA root certificates, made (and audited) the first time. Returns (sm2, ecdsa)."""
    roots = []
    for purpose in (CertificatePurpose.SM2_CA, CertificatePurpose.ECDSA_CA):
        root = selectors.platform_ca(purpose)
        if root is None:
            root = _issue(purpose=purpose, organisation=None, now=_now())
            audit.record(actor=actor, action="licences.ca.create", obj=root, after=_certificate_audit(root))
        roots.append(root)
    return roots[0], roots[1]


def _lock_active(organisation: Organisation) -> Organisation:
    # The row lock serialises issuing, sealing and rotation for one organisation (its region comes along for the
    # licence's region code; only the organisation's row is locked).
    locked = Organisation.objects.select_for_update(of=("self",)).select_related("region").get(pk=organisation.pk)
    if not locked.active:
        raise DomainError(LicenceError.ORGANISATION_INACTIVE)
    return locked


def _issue_missing(organisation: Organisation, *, actor, now: dt.datetime) -> dict[str, Certificate]:
    certificates = {}
    for purpose in (CertificatePurpose.SEAL, CertificatePurpose.PDF):
        certificate = selectors.certificate_current(organisation, purpose)
        if certificate is None:
            certificate = _issue(purpose=purpose, organisation=organisation, now=now)
            audit.record(
                actor=actor, action="licences.certificate.issue", obj=certificate, after=_certificate_audit(certificate)
            )
        certificates[purpose] = certificate
    return certificates


@transaction.atomic
def organisation_keys_issue(*, actor=None, organisation: Organisation) -> OrganisationCredentials:
    """Give the organisation an SM2 seal certificate and an ECDSA PDF certificate where it has none (idempotent)."""
    organisation = _lock_active(organisation)
    certificates = _issue_missing(organisation, actor=actor, now=_now())
    return OrganisationCredentials(certificates[CertificatePurpose.SEAL], certificates[CertificatePurpose.PDF])


def _next_es_id(organisation: Organisation) -> str:
    # esID: the organisation's credit code and a two-digit sequence of its seals (ASCII, as IA5String requires).
    return f"{organisation.uscc}{Seal.objects.filter(organisation=organisation).count() + 1:02d}"


def _supersede(queryset) -> list[int]:
    """Mark the current rows superseded as of this instant (to the microsecond, see selectors.certificate_at)."""
    ids = list(queryset.filter(status=CredentialStatus.CURRENT).values_list("pk", flat=True))
    queryset.filter(pk__in=ids).update(status=CredentialStatus.SUPERSEDED, superseded_at=timezone.now())
    return ids


def _make_seal(organisation: Organisation, *, actor, now: dt.datetime) -> Seal:
    certificate = selectors.certificate_current(organisation, CertificatePurpose.SEAL)
    if certificate is None:
        raise DomainError(LicenceError.KEYS_MISSING)
    maker = certificate.issuer
    superseded = _supersede(Seal.objects.filter(organisation=organisation))
    content = SealContent(
        vendor_id=SEAL_VENDOR_ID,
        es_id=_next_es_id(organisation),
        name=organisation.name,
        certificates=[bytes(certificate.der)],
        created=now,
        valid_start=now,
        valid_end=certificate.not_after,
        picture_png=seal_picture_png(organisation.name),
        width_mm=SEAL_SIZE_MM,
        height_mm=SEAL_SIZE_MM,
    )
    info = seal_info(content)
    signature = signer_for(maker.key).sign(info.dump()).value
    der = seal_assemble(info, maker_certificate_der=bytes(maker.der), signature=signature)
    seal = Seal.objects.create(
        organisation=organisation,
        es_id=content.es_id,
        name=content.name,
        certificate=certificate,
        maker_certificate=maker,
        der=der,
        data=seal_mirror(der),
        picture=content.picture_png,
        valid_start=content.valid_start,
        valid_end=content.valid_end,
    )
    after = {"es_id": seal.es_id, "certificate": certificate.serial_number, "der_sm3": crypto.sm3_hex(der)}
    audit.record(actor=actor, action="licences.seal.make", obj=seal, before={"superseded": superseded}, after=after)
    return seal


@transaction.atomic
def seal_make(*, actor=None, organisation: Organisation) -> Seal:
    """Make the organisation's electronic seal on its current seal certificate; a previous seal becomes superseded."""
    organisation = _lock_active(organisation)
    return _make_seal(organisation, actor=actor, now=_now())


@transaction.atomic
def organisation_keys_rotate(*, actor=None, organisation: Organisation, reason: str = "") -> OrganisationCredentials:
    """New keys, certificates and seal for the organisation. The old ones stay, superseded, and keep verifying."""
    organisation = _lock_active(organisation)
    now = _now()
    old = _supersede(Certificate.objects.filter(organisation=organisation, purpose__in=_ORGANISATION_UNIT.keys()))
    audit.record(
        actor=actor,
        action="licences.keys.rotate",
        obj=organisation,
        before={"superseded_certificates": old},
        after={"reason": reason},
    )
    certificates = _issue_missing(organisation, actor=actor, now=now)
    seal = _make_seal(organisation, actor=actor, now=now)
    return OrganisationCredentials(certificates[CertificatePurpose.SEAL], certificates[CertificatePurpose.PDF], seal)


def licences_init(*, actor=None) -> InitReport:
    """Make the CAs, then keys and a seal for every active organisation that lacks them; safe to run again.

    One transaction per organisation, so a failure half-way keeps what was made and the next run finishes it.
    """
    report = InitReport()
    roots = (CertificatePurpose.SM2_CA, CertificatePurpose.ECDSA_CA)
    report.cas_created = sum(selectors.platform_ca(purpose) is None for purpose in roots)
    ca_ensure(actor=actor)
    for organisation in Organisation.objects.filter(active=True).order_by("pk"):
        with transaction.atomic():
            had_keys = selectors.certificate_current(organisation, CertificatePurpose.PDF) is not None
            had_keys = had_keys and selectors.certificate_current(organisation, CertificatePurpose.SEAL) is not None
            organisation_keys_issue(actor=actor, organisation=organisation)
            report.organisations_keyed += 0 if had_keys else 1
            if selectors.seal_current(organisation) is None:
                seal_make(actor=actor, organisation=organisation)
                report.seals_made += 1
    return report


# ---------------------------------------------------------------------------------------------------------------
# Licences (电子证照): issue, render, revoke — docs/decisions/0010-licence-data-and-verification.md

RENDER_TOPIC = "licences.render_pdf"
_ISSUER_CODE_MAX = 18


@dataclass(frozen=True)
class Holder:
    """Who a licence is issued to (持证主体): the name and certificate printed on it, and the account that holds it."""

    name: str
    id_type: str
    id_number: str
    account: object | None = None


def holder_of(account) -> Holder:
    """The holder as the account's verified identity says: a person's real name and ID; an enterprise's name, USCC."""
    enterprise = account.kind == "enterprise"
    names = (account.display_name, account.real_name) if enterprise else (account.real_name, account.display_name)
    return Holder(
        name=names[0] or names[1],
        id_type=HolderIdType.USCC if enterprise else HolderIdType.RESIDENT_ID,
        id_number=account.id_number,
        account=account,
    )


def _field_errors(licence_type: LicenceType, fields: dict) -> dict[str, list[str]]:
    definitions = {item["name"]: item for item in licence_type.field_definitions or []}
    errors: dict[str, list[str]] = {}
    for name, definition in definitions.items():
        if definition.get("required") and fields.get(name) in (None, ""):
            errors[name] = [_("%(label)s不能为空") % {"label": definition.get("label") or name}]
    for name in fields:
        if name not in definitions:
            errors[name] = [_("证照类型没有这个字段")]
    return errors


def _check_issuable(licence_type: LicenceType, holder: Holder, fields: dict) -> None:
    if not licence_type.active:
        raise DomainError(LicenceError.LICENCE_TYPE_INACTIVE)
    if not (holder.name and holder.id_type in HolderIdType.values and holder.id_number):
        raise DomainError(LicenceError.HOLDER_INCOMPLETE)
    errors = _field_errors(licence_type, fields)
    if errors:
        raise DomainError(LicenceError.FIELDS_INVALID, fields=errors)


def _next_licence_serial(licence_type: LicenceType, issuer: Organisation, issued_on: dt.date) -> str:
    # One counter per type, issuer and year (core.numbering keys counters by day: 1 January stands for the year).
    number = next_serial(f"lic:{licence_type.code}:{issuer.uscc}", dt.date(issued_on.year, 1, 1))
    return f"{issued_on.year:04d}{number:06d}"


# The seal key's Signer per seal certificate, kept per process: issuing does not read the key row for every licence.
_seal_signer = PerCertificate(lambda certificate: signer_for(certificate.key))


def _seal_licence(licence: Licence, seal: Seal) -> None:
    """Canonicalise the licence's data and sign it with the issuer's seal (SES_Signature, SM2/SM3)."""
    licence.data = canonical_json(licence_document(licence))
    licence.data_sm3 = crypto.sm3_hex(licence.data)
    licence.signed_at = timezone.now()
    tbs = tbs_sign(
        seal_der=bytes(seal.der),
        signed_at=licence.signed_at,
        data=licence.data,
        property_info=f"licence:{licence.identifier}",
    )
    value = _seal_signer(seal.certificate).sign(tbs.dump()).value
    licence.signature = signature_assemble(tbs, certificate_der=bytes(seal.certificate.der), signature=value)
    licence.seal = seal


@transaction.atomic
def licence_issue(
    *,
    actor,
    licence_type: LicenceType,
    holder: Holder,
    fields: dict,
    source_case=None,
    issued_on: dt.date | None = None,
    region_code: str = "",
) -> Licence:
    """Issue a licence: number it, canonicalise and seal its data, audit, and schedule the signed PDF (outbox).

    The review issue calls this on a grant with the case as `source_case`; the holder's account then finds it.
    """
    _check_issuable(licence_type, holder, fields)
    issuer = _lock_active(licence_type.issuer)
    seal = issuer_seal(issuer)
    issued_on = issued_on or timezone.localdate()
    serial = _next_licence_serial(licence_type, issuer, issued_on)
    identifier = LicenceIdentifier(licence_type.code, issuer.uscc, serial, 1)
    licence = Licence(
        identifier=str(identifier),
        licence_type=licence_type,
        issuer=issuer,
        serial=serial,
        version=1,
        holder=holder.account,
        holder_name=holder.name,
        holder_id_type=holder.id_type,
        holder_id_number=holder.id_number,
        fields=fields,
        issued_on=issued_on,
        valid_from=issued_on,
        valid_until=valid_until(issued_on, licence_type.validity_years),
        region_code=region_code or (issuer.region.code if issuer.region_id else ""),
        source_case=source_case,
        issued_by=actor if getattr(actor, "pk", None) else None,
    )
    return licence_store(licence, seal, actor=actor)


def issuer_seal(issuer: Organisation) -> Seal:
    """The issuer's current seal; KEYS_MISSING while it lacks a seal or a PDF certificate (nothing can be issued)."""
    seal = selectors.seal_current(issuer)
    if seal is None or not selectors.has_current_certificate(issuer, CertificatePurpose.PDF):
        raise DomainError(LicenceError.KEYS_MISSING)
    return seal


def licence_store(
    licence: Licence, seal: Seal, *, actor, action: str = "licences.licence.issue", before=None, after=None
) -> Licence:
    """Seal an unsaved licence's data, save it, audit it under `action` and schedule its signed PDF (outbox).

    The one path every licence takes into the library: issue, change (lifecycle.py) and historical import."""
    _seal_licence(licence, seal)
    licence.save()
    record = {"identifier": licence.identifier, "data_sm3": licence.data_sm3, "seal": seal.es_id, **(after or {})}
    audit.record(actor=actor, action=action, obj=licence, before=before, after=record)
    outbox.enqueue(RENDER_TOPIC, {"licence_id": licence.pk})
    return licence


# What rendering does not read: the seal signature (≈ 48 kB, it embeds the whole seal) and the seal's DER and mirror
# (the page needs only the seal's picture), so a render moves ≈ 90 kB less out of the database.
_NOT_DRAWN = ("signature", "seal__der", "seal__data")
_RENDER_STORED = ["pdf", "pdf_sha256", "render_status", "render_error"]


def licence_pdf_render(*, licence_id: int) -> Licence:
    """Render and PAdES-sign a licence's PDF (the outbox handler); does nothing when it is already done.

    Rendering happens outside the row lock (it takes a while); the result is stored only if nobody stored one first.
    """
    licence = Licence.objects.select_related("licence_type", "issuer", "seal").defer(*_NOT_DRAWN).get(pk=licence_id)
    if licence.render_status == RenderStatus.DONE:
        return licence
    certificate = selectors.certificate_at(licence.issuer, CertificatePurpose.PDF, licence.signed_at)
    certificate = certificate or selectors.certificate_current(licence.issuer, CertificatePurpose.PDF)
    if certificate is None:
        raise DomainError(LicenceError.KEYS_MISSING)
    signed = sign_pdf(render_licence_pdf(licence), certificate)
    with transaction.atomic():
        # Only the licence's row is locked; its type comes along for the audit row's description.
        locked = (
            Licence.objects.select_for_update(of=("self",))
            .select_related("licence_type")
            .only(*_RENDER_STORED, "identifier", "licence_type__name")
            .get(pk=licence_id)
        )
        if locked.render_status == RenderStatus.DONE:
            return locked
        locked.pdf.save(f"{locked.identifier}.pdf", ContentFile(signed), save=False)
        locked.pdf_sha256 = hashlib.sha256(signed).hexdigest()
        locked.render_status, locked.render_error = RenderStatus.DONE, ""
        locked.save(update_fields=_RENDER_STORED)
        audit.record(actor=None, action="licences.licence.render", obj=locked, after={"pdf_sha256": locked.pdf_sha256})
    return locked


def licence_render_failed(*, licence_id: int, error: str) -> None:
    """Record why rendering failed (shown with the licence); the outbox retries the render later."""
    Licence.objects.filter(pk=licence_id).exclude(render_status=RenderStatus.DONE).update(
        render_status=RenderStatus.FAILED, render_error=error[:500]
    )


@transaction.atomic
def licence_revoke(*, actor, licence: Licence, reason: str) -> Licence:
    """Revoke a licence (撤销) with a reason; verification shows it as revoked at once."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(LicenceError.REASON_REQUIRED)
    locked = Licence.objects.select_for_update().get(pk=licence.pk)
    if locked.status not in (LicenceStatus.VALID, LicenceStatus.EXPIRED):
        raise DomainError(LicenceError.NOT_REVOCABLE)
    before = {"status": locked.status}
    locked.status, locked.revoked_at, locked.revocation_reason = LicenceStatus.REVOKED, timezone.now(), reason[:500]
    locked.save(update_fields=["status", "revoked_at", "revocation_reason"])
    after = {"status": locked.status, "reason": locked.revocation_reason}
    audit.record(actor=actor, action="licences.licence.revoke", obj=locked, before=before, after=after)
    return locked

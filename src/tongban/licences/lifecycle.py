"""A licence's life after issue (证照生命周期): change (变更), revocation (撤销/注销) by the issuer, expiry.

- `licence_change` issues a new version of a valid licence (same type, issuer and serial; version + 1 in the
  identifier), sealed and rendered exactly as `services.licence_issue` does (`services.licence_store`); the old
  version becomes `superseded` and points to the new one (`Licence.replaced_by`), so verifying the old identifier
  says 已变更 and names the current version.
- `licence_withdraw` is the issuer's 撤销 (taken back for cause) or 注销 (cancelled, e.g. the holder stopped
  trading) with a reason, through `services.licence_revoke`; verification reads the status from the row on every
  request (nothing is cached), so it shows at once.
- Expiry needs no write: `selectors.licence_status` reads a valid licence past its last day as expired.

Only the issuing organisation's approvers (审批/签发) may change, revoke or import its licences: `staff_licences`
and `licence_for_issuer_staff` are the access functions the staff pages use (one condition per line).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.accounts.access import organisations_where, staff_has_role
from tongban.accounts.models import StaffRole
from tongban.core.errors import DomainError
from tongban.licences import selectors, services
from tongban.licences.errors import LicenceError
from tongban.licences.identifier import LicenceIdentifier, parse_identifier
from tongban.licences.models import Licence, LicenceStatus, LicenceType

LIFECYCLE_ROLE = StaffRole.APPROVER
REVOCATION_KINDS = {"revoke": gettext_lazy("撤销"), "cancel": gettext_lazy("注销")}
_CHAIN_LIMIT = 50  # versions followed to find the current one (a licence changed more often is not plausible)


# ---------------------------------------------------------------------------------------------------------------
# Access: the issuing organisation's approvers


def may_manage(user, licence_type: LicenceType) -> bool:
    """Whether the user may change, revoke and import licences of this type (an approver of its issuer)."""
    return staff_has_role(user, LIFECYCLE_ROLE, licence_type.issuer)


def require_manager(user, licence_type: LicenceType) -> None:
    """Refuse (NOT_ISSUER_STAFF) anyone who is not an approver of the type's issuing organisation."""
    if not may_manage(user, licence_type):
        raise DomainError(LicenceError.NOT_ISSUER_STAFF)


def staff_licence_types(user) -> QuerySet[LicenceType]:
    """The licence types whose issuer the user approves for."""
    return LicenceType.objects.filter(issuer__in=organisations_where(user, LIFECYCLE_ROLE)).select_related("issuer")


def staff_licences(user) -> QuerySet[Licence]:
    """The licences issued by the organisations the user approves for (the staff search's scope)."""
    return Licence.objects.filter(issuer__in=organisations_where(user, LIFECYCLE_ROLE))


def licence_for_issuer_staff(user, identifier: str) -> Licence:
    """One licence of the user's organisations; LICENCE_NOT_FOUND for a bad identifier or another's licence."""
    if parse_identifier(identifier) is None:
        raise DomainError(LicenceError.IDENTIFIER_INVALID)
    licence = (
        staff_licences(user)
        .select_related("licence_type", "issuer", "replaces", "replaced_by")
        .filter(identifier=identifier.strip().upper())
        .first()
    )
    if licence is None:
        raise DomainError(LicenceError.LICENCE_NOT_FOUND)
    return licence


# ---------------------------------------------------------------------------------------------------------------
# Reads


def current_version(licence: Licence) -> Licence:
    """The newest version of a licence (itself when it was never changed): follows `replaced_by`. Takes anything
    with the licence's `pk` (public verification passes what it read: selectors.PublicLicence)."""
    current = licence
    for _step in range(_CHAIN_LIMIT):
        following = Licence.objects.filter(replaces_id=current.pk).select_related("licence_type", "issuer").first()
        if following is None:
            break
        current = following
    return current


# ---------------------------------------------------------------------------------------------------------------
# Writes


def _changed_fields(before: dict, after: dict) -> dict:
    names = sorted(set(before) | set(after))
    return {name: [before.get(name), after.get(name)] for name in names if before.get(name) != after.get(name)}


@transaction.atomic
def licence_change(*, actor, licence: Licence, fields: dict, reason: str, holder_name: str = "") -> Licence:
    """变更: issue version n+1 of a valid licence with new data (and optionally the holder's new name), sealed and
    rendered like a new licence; the old version becomes superseded and points to the new one.

    The validity period stays the one granted; the new version's issue date is the day of the change. Two staff
    changing at once: the second finds the licence already superseded (NOT_CHANGEABLE) and nothing changes."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(LicenceError.CHANGE_REASON_REQUIRED)
    old = Licence.objects.select_for_update().select_related("licence_type", "issuer").get(pk=licence.pk)
    if actor is not None:
        require_manager(actor, old.licence_type)
    if selectors.licence_status(old, timezone.localdate()) != LicenceStatus.VALID:
        raise DomainError(LicenceError.NOT_CHANGEABLE)
    holder = services.Holder(
        name=(holder_name or "").strip() or old.holder_name, id_type=old.holder_id_type, id_number=old.holder_id_number
    )
    services._check_issuable(old.licence_type, holder, fields)
    if fields == old.fields and holder.name == old.holder_name:
        raise DomainError(LicenceError.CHANGE_NOTHING)
    issuer = services._lock_active(old.issuer)
    seal = services.issuer_seal(issuer)
    version = old.version + 1
    new = Licence(
        identifier=str(LicenceIdentifier(old.licence_type.code, issuer.uscc, old.serial, version)),
        licence_type=old.licence_type,
        issuer=issuer,
        serial=old.serial,
        version=version,
        holder=old.holder,
        holder_name=holder.name,
        holder_id_type=old.holder_id_type,
        holder_id_number=old.holder_id_number,
        fields=fields,
        issued_on=timezone.localdate(),
        valid_from=old.valid_from,
        valid_until=old.valid_until,
        region_code=old.region_code,
        source_case=old.source_case,
        licence_number=old.licence_number,
        issued_by=actor if getattr(actor, "pk", None) else None,
        replaces=old,
        change_reason=reason[:500],
    )
    changes = _changed_fields(old.fields, fields)
    if holder.name != old.holder_name:
        changes["holder_name"] = [old.holder_name, holder.name]
    old.status, old.superseded_at = LicenceStatus.SUPERSEDED, timezone.now()
    old.save(update_fields=["status", "superseded_at"])
    new = services.licence_store(
        new,
        seal,
        actor=actor,
        action="licences.licence.change",
        before={"identifier": old.identifier, "status": LicenceStatus.VALID},
        after={"replaces": old.identifier, "reason": new.change_reason, "changes": changes},
    )
    name = new.licence_type.name
    _tell_holder(
        new,
        topic="licences.change",
        title=_("证照已变更：%(name)s") % {"name": name},
        body=_("您的“%(name)s”已由%(issuer)s变更，新版本已放入“我的证照”，原版本不再有效。")
        % {"name": name, "issuer": new.issuer.name},
    )
    return new


def _tell_holder(licence: Licence, *, topic: str, title: str, body: str) -> None:
    """A site message (and text) to the holder's account, when the licence has one (imported ones may not yet)."""
    from tongban.licences.wallet import wallet_detail_url
    from tongban.notifications.services import notify

    if licence.holder_id is not None:
        notify(recipients=[licence.holder], topic=topic, title=title, body=body, link=wallet_detail_url(licence))


@transaction.atomic
def licence_withdraw(*, actor, licence: Licence, kind: str, reason: str) -> Licence:
    """撤销 or 注销 by the issuer with a reason (the kind leads the recorded reason); verification shows it at once."""
    if kind not in REVOCATION_KINDS:
        raise DomainError(LicenceError.REVOCATION_KIND_INVALID)
    if actor is not None:
        require_manager(actor, licence.licence_type)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(LicenceError.REASON_REQUIRED)
    recorded = _("%(kind)s：%(reason)s") % {"kind": REVOCATION_KINDS[kind], "reason": reason}
    revoked = services.licence_revoke(actor=actor, licence=licence, reason=recorded)
    name = revoked.licence_type.name
    _tell_holder(
        revoked,
        topic="licences.revoke",
        title=_("证照已%(kind)s：%(name)s") % {"kind": REVOCATION_KINDS[kind], "name": name},
        body=_("您的“%(name)s”已被%(issuer)s%(kind)s，原因：%(reason)s。如有异议，可依法申请行政复议或提起行政诉讼。")
        % {"name": name, "issuer": revoked.issuer.name, "kind": REVOCATION_KINDS[kind], "reason": reason[:100]},
    )
    return revoked

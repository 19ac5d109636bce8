"""Writes of the holder's wallet (我的证照): grants to view a licence (用证授权), the view log, expiry, reminders, and
the check that lets a licence stand in for an application material (凡是电子证照库已有材料的不再要求申办人提交).

- `share_grant`: the holder grants a named active organisation, or anyone holding a link, the right to view one valid
  licence until a moment at most MAX_SHARE_DAYS away, for a stated purpose. A link's token is returned once; only its
  SM3 digest is stored. Audited.
- `share_revoke`: the holder withdraws a grant; it stops working at once. Audited.
- `share_view_record`: every view through a grant (page or PDF) is logged with the viewer (staff account or link),
  time and IP; the holder reads the log.
- `licences_mark_expired` / `expiry_reminders`: the daily job (licences/jobs.py) marks licences past their last day
  expired (audited) and tells holders 30 and 7 days before expiry, once per licence and threshold.
- `licence_for_material`: the licence an application names as a material, checked (the applicant's, valid, right type).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.models import Organisation
from tongban.licences import selectors, verification_cache
from tongban.licences.access import held_by, token_digest
from tongban.licences.errors import LicenceError
from tongban.licences.models import (
    Licence,
    LicenceReminder,
    LicenceShare,
    LicenceStatus,
    LicenceView,
    ShareKind,
)

MAX_SHARE_DAYS = 90
PURPOSE_MAX_LENGTH = 200
# Days before the last valid day on which the holder is told (largest first); each is told once per licence.
REMINDER_DAYS = (30, 7)
TOKEN_BYTES = 24  # 32 URL-safe characters: unguessable, short enough to read out


@dataclass(frozen=True)
class Grant:
    """A new grant and, for a link, the token (shown to the holder once, never stored)."""

    share: LicenceShare
    token: str = ""


def share_view(share: LicenceShare) -> dict:
    """What the audit log keeps of a grant (no token, no personal data)."""
    return {
        "licence": share.licence.identifier,
        "kind": share.kind,
        "organisation": share.organisation_id,
        "purpose": share.purpose,
        "expires_at": share.expires_at,
        "revoked_at": share.revoked_at,
    }


def _checked_grant(kind: str, organisation_id, purpose: str, days) -> tuple[Organisation | None, str, int]:
    errors: dict[str, list[str]] = {}
    organisation = None
    if kind not in ShareKind.values:
        errors["kind"] = [str(LicenceError.SHARE_KIND_INVALID.message)]
    elif kind == ShareKind.ORGANISATION:
        organisation = Organisation.objects.filter(pk=organisation_id or 0, active=True).first()
        if organisation is None:
            errors["organisation"] = [str(LicenceError.SHARE_ORGANISATION_INVALID.message)]
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > PURPOSE_MAX_LENGTH:
        errors["purpose"] = [str(LicenceError.SHARE_PURPOSE_REQUIRED.message)]
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= MAX_SHARE_DAYS:
        errors["days"] = [str(LicenceError.SHARE_DAYS_INVALID.message)]
    if errors:
        first = {
            "kind": LicenceError.SHARE_KIND_INVALID,
            "organisation": LicenceError.SHARE_ORGANISATION_INVALID,
            "purpose": LicenceError.SHARE_PURPOSE_REQUIRED,
            "days": LicenceError.SHARE_DAYS_INVALID,
        }[next(iter(errors))]
        raise DomainError(first, fields=errors)
    return organisation, purpose, days


@transaction.atomic
def share_grant(*, actor, licence: Licence, kind: str, purpose: str, days, organisation_id=None) -> Grant:
    """Grant a named organisation, or anyone with the link, the right to view `licence` (loaded through
    access.licence_for_sharing) for `days` days."""
    organisation, purpose, days = _checked_grant(kind, organisation_id, purpose, days)
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    now = timezone.now()
    if selectors.licence_status(licence, timezone.localdate()) != LicenceStatus.VALID:
        raise DomainError(LicenceError.SHARE_LICENCE_NOT_VALID)
    token = secrets.token_urlsafe(TOKEN_BYTES) if kind == ShareKind.LINK else ""
    share = LicenceShare.objects.create(
        licence=licence,
        kind=kind,
        organisation=organisation,
        token_hash=token_digest(token) if token else None,
        purpose=purpose,
        expires_at=now + dt.timedelta(days=days),
        granted_by=actor,
    )
    audit.record(actor=actor, action="licences.share.grant", obj=share, after=share_view(share))
    return Grant(share=share, token=token)


@transaction.atomic
def share_revoke(*, actor, share: LicenceShare) -> LicenceShare:
    """Withdraw a grant (loaded through access.share_for_holder); views through it are refused from now on."""
    share = LicenceShare.objects.select_for_update().select_related("licence").get(pk=share.pk)
    if share.revoked_at is not None:
        raise DomainError(LicenceError.SHARE_ALREADY_REVOKED)
    before = share_view(share)
    share.revoked_at = timezone.now()
    share.revoked_by = actor
    share.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(actor=actor, action="licences.share.revoke", obj=share, before=before, after=share_view(share))
    return share


@transaction.atomic
def share_view_record(*, share: LicenceShare, viewer, part: str, ip: str | None) -> LicenceView:
    """Log one view through a live grant (checked by the access function that loaded it)."""
    viewer = viewer if getattr(viewer, "is_authenticated", False) else None
    view = LicenceView.objects.create(share=share, viewer=viewer, part=part, ip=ip or None)
    LicenceShare.objects.filter(pk=share.pk).update(view_count=F("view_count") + 1, last_viewed_at=view.viewed_at)
    return view


# ---------------------------------------------------------------------------------------------------------------
# The daily job: expiry and reminders


def licences_mark_expired(today: dt.date | None = None, limit: int = 1000) -> int:
    """Mark valid licences past their last valid day expired (each audited). Safe to run twice at once: the update
    is conditional, so a licence already marked (or revoked meanwhile) is skipped. Returns how many."""
    today = today or timezone.localdate()
    due = Licence.objects.filter(status=LicenceStatus.VALID, valid_until__lt=today).values_list("pk", flat=True)
    done = 0
    for pk in list(due[:limit]):
        with transaction.atomic():
            changed = Licence.objects.filter(pk=pk, status=LicenceStatus.VALID, valid_until__lt=today).update(
                status=LicenceStatus.EXPIRED
            )
            if changed:
                verification_cache.forget()  # a bulk update: no signal tells the kept answers
                licence = Licence.objects.only("identifier", "valid_until").get(pk=pk)
                audit.record(
                    actor=None,
                    action="licences.licence.expire",
                    object_type="licences.licence",
                    object_id=str(pk),
                    object_repr=licence.identifier,
                    before={"status": LicenceStatus.VALID},
                    after={"status": LicenceStatus.EXPIRED, "valid_until": licence.valid_until},
                )
                done += 1
    return done


def _reminder_candidates(today: dt.date, limit: int) -> list[int]:
    ids: set[int] = set()
    for days in REMINDER_DAYS:
        ids.update(
            Licence.objects.filter(
                status=LicenceStatus.VALID,
                holder__isnull=False,
                valid_until__gte=today,
                valid_until__lte=today + dt.timedelta(days=days),
            )
            .exclude(reminders__days_before=days)
            .values_list("pk", flat=True)[:limit]
        )
    return sorted(ids)[:limit]


def wallet_detail_url(licence: Licence) -> str:
    return reverse("licences:wallet_detail", args=[licence.identifier])


def _remind(pk: int, today: dt.date) -> bool:
    from tongban.notifications.services import notify

    with transaction.atomic():
        licence = (
            Licence.objects.select_for_update()
            .filter(pk=pk, status=LicenceStatus.VALID, holder__isnull=False, valid_until__gte=today)
            .first()
        )
        if licence is None:
            return False
        days_left = (licence.valid_until - today).days
        sent = set(licence.reminders.values_list("days_before", flat=True))
        # A licence first seen inside the 7-day window gets one message, not the 30-day one as well.
        new = [days for days in REMINDER_DAYS if days_left <= days and days not in sent]
        if not new:
            return False
        LicenceReminder.objects.bulk_create([LicenceReminder(licence=licence, days_before=days) for days in new])
        name = licence.licence_type.name
        notify(
            recipients=[licence.holder],
            topic="licences.expiry",
            title=_("证照即将到期：%(name)s") % {"name": name},
            body=_("您的“%(name)s”将于 %(day)s 到期（还有 %(left)s 天），请及时办理延续。")
            % {"name": name, "day": licence.valid_until.isoformat(), "left": days_left},
            link=wallet_detail_url(licence),
        )
        return True


def expiry_reminders(today: dt.date | None = None, limit: int = 1000) -> int:
    """Tell holders whose licences run out within 30 and within 7 days, once per licence and threshold (each licence
    in its own transaction under a row lock, so two runs at once tell nobody twice). Returns how many were told."""
    today = today or timezone.localdate()
    return sum(1 for pk in _reminder_candidates(today, limit) if _remind(pk, today))


# ---------------------------------------------------------------------------------------------------------------
# Reuse as an application material


def licence_for_material(*, account, identifier: str, type_code: str, today: dt.date | None = None) -> Licence:
    """The licence `identifier` when it may stand in for a material whose source is licence type `type_code`: it is
    held by the applicant `account`, valid today, and of that type. MATERIAL_LICENCE_INVALID otherwise (the same
    answer whichever condition fails, so a stranger's identifier tells nothing)."""
    today = today or timezone.localdate()
    code = (type_code or "").strip().upper()
    licence = (
        Licence.objects.select_related("licence_type")
        .filter(held_by(account), identifier=str(identifier or "").strip().upper(), licence_type__code=code)
        .first()
    )
    if not code or licence is None or selectors.licence_status(licence, today) != LicenceStatus.VALID:
        raise DomainError(LicenceError.MATERIAL_LICENCE_INVALID)
    return licence


def licences_for_materials(user, identity, type_codes, today: dt.date | None = None) -> dict[str, list[Licence]]:
    """The current identity's valid licences of each of these types (one query, whatever the number of materials),
    keyed by type code: what the materials step offers "从我的证照中选择"."""
    from tongban.licences.access import wallet_licences

    codes = sorted({code.strip().upper() for code in type_codes if code and code.strip()})
    offered: dict[str, list[Licence]] = {code: [] for code in codes}
    if not codes:
        return offered
    today = today or timezone.localdate()
    licences = (
        wallet_licences(user, identity)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today), licence_type__code__in=codes)
        .filter(status=LicenceStatus.VALID)
        .select_related("licence_type")
        .order_by("-issued_on", "-id")
    )
    for licence in licences:
        offered[licence.licence_type.code].append(licence)
    return offered

"""Delivery of a decided case's result (送达): the competent organisation's staff arrange it — pick-up at the result
window (出件窗口) of any hall the item's 通办范围 covers, express with carrier and tracking number, or electronic —
and then record it as delivered (送达), which issues the 送达回证.

A case has one Delivery row: arranging again changes it until it is delivered; after that it is the record.
`case_result` gathers what the applicant's page and the workbench panel show about the outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.accounts.access import staff_has_role
from tongban.accounts.models import StaffRole, User
from tongban.cases import decisions, documents, steps
from tongban.cases.access import access_case_for_reviewer
from tongban.cases.counter import hall_in_scope
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    Case,
    CaseDocument,
    CaseStatus,
    Delivery,
    DeliveryMethod,
    DocumentKind,
    EventCode,
)
from tongban.catalog.models import Material
from tongban.core.errors import DomainError
from tongban.core.models import HallWindow

# The documents a delivery hands over: the decision (and a later revocation).
DELIVERED_KINDS = (DocumentKind.GRANT, DocumentKind.DENIAL, DocumentKind.REVOCATION)
# Staff of the competent organisation who may arrange and record delivery.
DELIVERY_ROLES = (StaffRole.WINDOW_CLERK, StaffRole.REVIEWER, StaffRole.APPROVER, StaffRole.HEAD)
DELIVERABLE_STATUSES = (*decisions.DECIDED_STATUSES, CaseStatus.REVOKED)


# ---------------------------------------------------------------------------------------------------------------
# Who and where


def is_delivery_staff(user: User, case: Case) -> bool:
    """Staff of the competent organisation with a case-handling role."""
    return any(staff_has_role(user, role, case.organisation) for role in DELIVERY_ROLES)


def is_result_window_clerk(user: User, delivery: Delivery | None) -> bool:
    """A window clerk of the hall where the result waits for pick-up (they hand it over and record it)."""
    if delivery is None or delivery.hall_id is None or delivery.delivered_at is not None:
        return False
    return staff_has_role(user, StaffRole.WINDOW_CLERK, delivery.hall)


def access_case_for_delivery(user: User, number: str) -> Case:
    """A case the member of staff may deliver: one they may open in review, or one waiting at their result window."""
    try:
        return access_case_for_reviewer(user, number)
    except DomainError:
        case = Case.objects.filter(number=number).select_related("item", "version", "organisation__region").first()
        delivery = Delivery.objects.select_related("hall").filter(case=case).first() if case else None
        if case is None or not is_result_window_clerk(user, delivery):
            raise
        return case


def result_windows(case: Case) -> list[HallWindow]:
    """Open result windows (出件窗口) of active halls the item's 通办范围 covers, by hall and number."""
    windows = (
        HallWindow.objects.filter(kind=HallWindow.Kind.RESULT, active=True, hall__active=True)
        .select_related("hall__region")
        .order_by("hall__name", "number")
    )
    organisation = case.organisation
    return [window for window in windows if hall_in_scope(case.version, organisation, window.hall)]


def _require_staff(user: User, case: Case) -> None:
    if not is_delivery_staff(user, case):
        raise DomainError(CaseError.DELIVERY_STAFF_REQUIRED)


def _state(delivery: Delivery | None) -> dict:
    if delivery is None:
        return {}
    return {"method": delivery.method, "window": delivery.window_id, "delivered": delivery.delivered_at is not None}


# ---------------------------------------------------------------------------------------------------------------
# Arrange and record


@transaction.atomic
def delivery_arrange(
    *,
    actor: User,
    case: Case,
    method: str,
    window_id: int | None = None,
    carrier: str = "",
    tracking_number: str = "",
    address: str = "",
    expected_version: int | None,
) -> Delivery:
    """Arrange how the result reaches the applicant (or change the arrangement while not yet delivered)."""
    _require_staff(actor, case)
    case = steps.lock(case)
    steps.require_version(case, expected_version)
    steps.require_status(case, DELIVERABLE_STATUSES, CaseError.DELIVERY_NOT_DECIDED)
    existing = Delivery.objects.filter(case=case).first()
    if existing is not None and existing.delivered_at is not None:
        raise DomainError(CaseError.DELIVERY_DONE)
    if method not in DeliveryMethod.values:
        raise DomainError(
            CaseError.DELIVERY_METHOD_INVALID, fields={"method": [CaseError.DELIVERY_METHOD_INVALID.message]}
        )
    window = None
    carrier, tracking_number, address = carrier.strip(), tracking_number.strip(), address.strip()
    if method == DeliveryMethod.WINDOW:
        window = next((w for w in result_windows(case) if window_id is not None and w.pk == int(window_id)), None)
        if window is None:
            raise DomainError(
                CaseError.RESULT_WINDOW_INVALID, fields={"window": [CaseError.RESULT_WINDOW_INVALID.message]}
            )
    if method == DeliveryMethod.EXPRESS and not (carrier and tracking_number and address):
        missing = {
            name: [_("请填写%(label)s") % {"label": label}]
            for name, value, label in (
                ("carrier", carrier, _("快递公司")),
                ("tracking_number", tracking_number, _("运单号")),
                ("address", address, _("收件地址")),
            )
            if not value
        }
        raise DomainError(CaseError.EXPRESS_DETAILS_REQUIRED, fields=missing)
    express = method == DeliveryMethod.EXPRESS
    values = {
        "method": method,
        "hall": window.hall if window else None,
        "window": window,
        "carrier": carrier if express else "",
        "tracking_number": tracking_number if express else "",
        "address": address if express else "",
        "arranged_by": actor,
        "arranged_at": timezone.now(),
    }
    before = steps.state(case) | _state(existing)
    delivery, _created = Delivery.objects.update_or_create(case=case, defaults=values)
    steps.touch(case, [])
    steps.audit_case(actor, "cases.delivery.arrange", case, before, **_state(delivery))
    steps.tell(case, "case.delivery_arranged", _("办理结果送达安排"), _arranged_message(case, delivery))
    return delivery


def _arranged_message(case: Case, delivery: Delivery) -> str:
    if delivery.method == DeliveryMethod.WINDOW:
        return _("您的办件 %(number)s 的办理结果请到 %(hall)s %(window)s 领取，领取时请携带身份证件。") % {
            "number": case.number,
            "hall": delivery.hall.name,
            "window": str(delivery.window),
        }
    if delivery.method == DeliveryMethod.EXPRESS:
        return _("您的办件 %(number)s 的办理结果已通过%(carrier)s寄出，运单号 %(tracking)s。") % {
            "number": case.number,
            "carrier": delivery.carrier,
            "tracking": delivery.tracking_number,
        }
    return _("您的办件 %(number)s 的办理结果将以电子方式送达，可在“我的办件”中下载。") % {"number": case.number}


def _record_label(choice) -> str:
    """A choice's name in Chinese, the language of record of documents, whatever the clerk's page language."""
    with translation.override("zh-hans"):
        return str(choice.label)


def _place(delivery: Delivery) -> str:
    if delivery.method == DeliveryMethod.WINDOW:
        return f"{delivery.hall.name} {delivery.window}"
    if delivery.method == DeliveryMethod.EXPRESS:
        return f"{delivery.address}（{delivery.carrier}，运单号 {delivery.tracking_number}）"
    return "通办政务服务平台（电子送达）"


@transaction.atomic
def delivery_record(
    *,
    actor: User,
    case: Case,
    recipient: str,
    delivered_at: dt.datetime | None = None,
    expected_version: int | None,
) -> Delivery:
    """Record that the result was delivered (送达): who received it and when; the 送达回证 is issued."""
    case = steps.lock(case)
    delivery = Delivery.objects.select_related("hall", "window").filter(case=case).first()
    if not (is_delivery_staff(actor, case) or is_result_window_clerk(actor, delivery)):
        raise DomainError(CaseError.DELIVERY_STAFF_REQUIRED)
    steps.require_version(case, expected_version)
    steps.require_status(case, DELIVERABLE_STATUSES, CaseError.DELIVERY_NOT_DECIDED)
    if delivery is None:
        raise DomainError(CaseError.DELIVERY_NOT_ARRANGED)
    if delivery.delivered_at is not None:
        raise DomainError(CaseError.DELIVERY_DONE)
    recipient = (recipient or "").strip()
    if not recipient:
        raise DomainError(CaseError.RECIPIENT_REQUIRED, fields={"recipient": [CaseError.RECIPIENT_REQUIRED.message]})
    now = timezone.now()
    delivered_at = min(delivered_at or now, now)
    before = steps.state(case) | _state(delivery)
    delivery.recipient = recipient[:50]
    delivery.delivered_at = delivered_at
    delivery.delivered_recorded_by = actor
    delivery.save(update_fields=["recipient", "delivered_at", "delivered_recorded_by"])
    steps.touch(case, [])
    handed = CaseDocument.objects.filter(case=case, kind__in=DELIVERED_KINDS).order_by("issued_at", "pk")
    document = documents.document_issue(
        case=case,
        kind=DocumentKind.DELIVERY,
        data={
            "item": case.version.name,
            "applicant": case.applicant_name,
            "documents": [f"{_record_label(DocumentKind(d.kind))}（{d.number}）" for d in handed],
            "method": _record_label(DeliveryMethod(delivery.method)),
            "place": _place(delivery),
            "recipient": delivery.recipient,
            "delivered_at": timezone.localtime(delivered_at).strftime("%Y-%m-%d %H:%M"),
            "delivered_by": str(actor),
        },
    )
    steps.event(case, EventCode.LOCAL, gettext_noop("办理结果已送达"), actor=actor, opinion=delivery.recipient)
    steps.audit_case(actor, "cases.delivery.record", case, before, **_state(delivery), document=document.number)
    steps.tell(
        case,
        "case.delivered",
        _("办理结果已送达"),
        _("您的办件 %(number)s 的办理结果已送达（签收人：%(recipient)s），送达回证可在“我的办件”中下载。")
        % {"number": case.number, "recipient": delivery.recipient},
    )
    return delivery


# ---------------------------------------------------------------------------------------------------------------
# What the pages show


@dataclass(frozen=True)
class CaseResult:
    """The outcome side of a case: decision documents, licence step, delivery and 容缺 still owed."""

    case: Case
    decision_documents: list[CaseDocument]
    licence: decisions.LicenceProgress | None
    delivery: Delivery | None
    owed: list[Material]

    @property
    def decided(self) -> bool:
        return self.case.status in DELIVERABLE_STATUSES

    @property
    def may_retract(self) -> bool:
        return self.case.status in decisions.UNDECIDED_STATUSES

    @property
    def may_supply_deferred(self) -> bool:
        return bool(self.owed) and self.case.status in decisions.DEFERRED_SUPPLY_STATUSES

    @property
    def delivered(self) -> bool:
        return self.delivery is not None and self.delivery.delivered_at is not None


def case_result(case: Case) -> CaseResult:
    """The outcome of a case already loaded for its viewer (applicant or staff)."""
    kinds = (*DELIVERED_KINDS, DocumentKind.DELIVERY)
    return CaseResult(
        case=case,
        decision_documents=list(CaseDocument.objects.filter(case=case, kind__in=kinds).order_by("issued_at", "pk")),
        licence=decisions.licence_progress(case),
        delivery=Delivery.objects.select_related("hall", "window").filter(case=case).first(),
        owed=decisions.owed_materials(case),
    )

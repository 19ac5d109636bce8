"""Reads of bundle applications (一件事): the applicant's own (one access function), the combined progress of the
children, and the staff list of applications touching the user's organisations. Every list is scoped to the actor
and read in a constant number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from tongban.accounts.access import organisations_where, staff_roles
from tongban.accounts.enterprises import ActingIdentity, ActingRole
from tongban.accounts.models import User, UserKind
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    FINAL_STATUSES,
    BundleApplication,
    BundleStatus,
    Case,
    CaseDocument,
    CaseEvent,
    CaseStatus,
    EventCode,
    SupplementRequest,
)
from tongban.core.errors import DomainError
from tongban.core.models import Organisation

# The timeline steps whose opinion is the notice the person is given about a child (its reasons).
NOTICE_EVENTS = (EventCode.REFUSED, EventCode.APPROVED, EventCode.APPROVED_DEFERRED, EventCode.DENIED)


def applicant_bundles(user: User, identity: ActingIdentity | None) -> QuerySet[BundleApplication]:
    """The bundle applications of the current identity: the person's own, or the enterprise's (an agent sees only
    those they filled in: an agent's authorisation names items, a bundle spans several)."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.PERSON:
        return BundleApplication.objects.none()
    if identity is None:
        return BundleApplication.objects.filter(applicant=user)
    applications = BundleApplication.objects.filter(applicant=identity.enterprise)
    if identity.role == ActingRole.AGENT:
        applications = applications.filter(submitted_by=user)
    return applications


def access_bundle_for_applicant(user: User, identity: ActingIdentity | None, public_id) -> BundleApplication:
    """One of the current identity's bundle applications by its public id, or BUNDLE_APPLICATION_NOT_FOUND (404)."""
    found = applicant_bundles(user, identity).filter(public_id=public_id).select_related("bundle").first()
    if found is None:
        raise DomainError(CaseError.BUNDLE_APPLICATION_NOT_FOUND)
    return found


def access_bundle_draft(user: User, identity: ActingIdentity | None, public_id) -> BundleApplication:
    """A draft of the current identity that this person started."""
    found = access_bundle_for_applicant(user, identity, public_id)
    if found.status != BundleStatus.DRAFT or found.submitted_by_id != user.pk:
        raise DomainError(CaseError.BUNDLE_APPLICATION_NOT_FOUND)
    return found


# ---------------------------------------------------------------------------------------------------------------
# Combined progress


@dataclass(frozen=True)
class ChildRow:
    """One child case as the parent page shows it."""

    case: Case
    documents: list[CaseDocument]
    supplement: SupplementRequest | None
    next_step: str
    notice: str = ""  # the reasons given when the child was refused or decided

    @property
    def detail_url(self) -> str:
        return f"/cases/mine/{self.case.public_id}/"

    @property
    def supplement_url(self) -> str:
        return f"/cases/mine/{self.case.public_id}/supplement/" if self.supplement is not None else ""

    def document_url(self, document: CaseDocument) -> str:
        return f"/cases/mine/{self.case.public_id}/documents/{document.pk}/"

    @property
    def document_links(self) -> list[tuple[CaseDocument, str]]:
        return [(document, self.document_url(document)) for document in self.documents]


def next_step(case: Case) -> str:
    """What happens next to a child, in the person's words."""
    organisation = case.organisation.name
    if case.status == CaseStatus.RECEIVED:
        return _("等待%(org)s预审受理（%(due)s 前）") % {"org": organisation, "due": case.acceptance_due}
    if case.status == CaseStatus.SUPPLEMENT:
        return _("请按补正材料通知补正，补正后%(org)s重新预审") % {"org": organisation}
    if case.status in (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW):
        return _("%(org)s办理中，承诺 %(due)s 前办结") % {"org": organisation, "due": case.promised_due}
    if case.status == CaseStatus.SPECIAL_PROCEDURE:
        return _("特别程序中，所需时间不计入办理时限")
    if case.status == CaseStatus.REFUSED:
        return _("不予受理：理由及救济途径见不予受理通知书")
    if case.status in (CaseStatus.APPROVED, CaseStatus.APPROVED_DEFERRED):
        return _("已办结，结果为准予")
    if case.status == CaseStatus.DENIED:
        return _("已办结，结果为不予许可：理由及救济途径见决定书")
    return case.get_status_display()


def bundle_progress(application: BundleApplication) -> list[ChildRow]:
    """Each child: item, department, status, next step, documents, an open supplement request and the reasons it was
    refused or decided with (four queries)."""
    open_supplements = SupplementRequest.objects.filter(returned_at__isnull=True).order_by("-requested_at")
    notices = CaseEvent.objects.filter(code__in=NOTICE_EVENTS, public=True).order_by("-created_at", "-pk")
    children = (
        Case.objects.filter(bundle_application=application)
        .select_related("item", "version", "organisation")
        .prefetch_related(
            Prefetch("documents", queryset=CaseDocument.objects.order_by("issued_at", "pk")),
            Prefetch("supplements", queryset=open_supplements, to_attr="open_supplements"),
            Prefetch("events", queryset=notices, to_attr="notices"),
        )
        .order_by("pk")
    )
    rows = []
    for case in children:
        supplement = (
            case.open_supplements[0] if case.status == CaseStatus.SUPPLEMENT and case.open_supplements else None
        )
        notice = case.notices[0].opinion if case.status in FINAL_STATUSES and case.notices else ""
        rows.append(ChildRow(case, list(case.documents.all()), supplement, next_step(case), notice))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Staff


def staff_organisations(user: User) -> QuerySet[Organisation]:
    """Every organisation where the user holds any role (one subquery)."""
    roles = {held.role for held in staff_roles(user)}
    if not roles:
        return Organisation.objects.none()
    return reduce(or_, (organisations_where(user, role) for role in sorted(roles)))


def staff_bundles(user: User) -> QuerySet[BundleApplication]:
    """Submitted bundle applications with a child at one of the user's organisations, newest first; each row's
    children (with item and department) prefetched, so a page costs the same few statements whatever its size."""
    organisations = staff_organisations(user).values("pk")
    touching = Case.objects.filter(organisation__in=organisations).values("bundle_application")
    children = Case.objects.select_related("version", "organisation").order_by("pk")
    return (
        BundleApplication.objects.filter(Q(pk__in=touching))
        .exclude(status=BundleStatus.DRAFT)
        .select_related("bundle")
        .prefetch_related(Prefetch("cases", queryset=children))
        .order_by("-received_at", "-pk")
    )

"""Counter acceptance (一窗受理): a window clerk registers a walk-in application at any hall the item's scope covers.

The clerk works at one hall and window. They find the item (its 通办范围 must cover the hall: county scope means the
hall lies in the competent organisation's county, city the same city, province the same province, 跨省通办 any
hall), find the applicant's account (a person by phone or ID number; an enterprise by its credit code, with the
person at the window its legal representative or an agent within scope, or an agent whose papers the clerk checked),
and fill in the application on the applicant's behalf: the case is a normal case of the competent organisation
(受办分离) whose channel is the window, with the hall and window of acceptance recorded. When the clerk held the
person's ID card, the person is raised to real-name level L3 through accounts/realname.py and the case says so.

Writes go through cases/services.py (draft_start, draft_save_answers, material_attach, case_submit), so the rules
are the same as online; what is specific to the counter (hall, window, scope, identity check) is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

from tongban.accounts.access import organisations_where
from tongban.accounts.enterprises import agent_may_handle
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RealNameLevel, StaffRole, User, UserKind
from tongban.accounts.realname import realname_verify_in_person, require_window_clerk
from tongban.cases import access, services
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseMaterial, CaseStatus, Channel, Provision
from tongban.cases.uploads import upload_store
from tongban.catalog.models import ImplementationItem, ItemVersion, ServiceScope
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.models import HallWindow, Organisation, OrganisationKind
from tongban.core.pii import blind_index
from tongban.core.validators import normalize_id_number, normalize_uscc

# Places that receive people and so have acceptance windows.
HALL_KINDS = (OrganisationKind.SERVICE_HALL, OrganisationKind.TOWN_OFFICE, OrganisationKind.VILLAGE_STATION)
ITEM_SEARCH_LIMIT = 20
ITEM_SEARCH_SCAN = 200  # name matches looked at before the scope filter (a hall sees most of its county's items)


# ---------------------------------------------------------------------------------------------------------------
# Where the clerk works


def counter_halls(user: User) -> QuerySet[Organisation]:
    """The halls where the user is a window clerk (窗口受理), by name."""
    return organisations_where(user, StaffRole.WINDOW_CLERK).filter(kind__in=HALL_KINDS, active=True).order_by("name")


def acceptance_windows(hall: Organisation) -> QuerySet[HallWindow]:
    """The hall's open acceptance windows, by number."""
    return HallWindow.objects.filter(hall=hall, kind=HallWindow.Kind.ACCEPTANCE, active=True).order_by("number")


def require_counter(user: User, hall: Organisation, window: HallWindow) -> None:
    """The user is a window clerk at the hall and the window is one of its open acceptance windows."""
    access.require_window_clerk_at(user, hall)
    if hall.kind not in HALL_KINDS:
        raise DomainError(CaseError.WINDOW_NOT_OF_HALL)
    if not acceptance_windows(hall).filter(pk=window.pk).exists():
        raise DomainError(CaseError.WINDOW_NOT_OF_HALL)


# How many leading digits of the region code the hall must share with the competent organisation, per 通办范围.
SCOPE_PREFIX = {
    ServiceScope.COUNTY: 6,
    ServiceScope.CITY: 4,
    ServiceScope.PROVINCE: 2,
    ServiceScope.CROSS_PROVINCE: 0,
}


def hall_in_scope(version: ItemVersion, organisation: Organisation, hall: Organisation) -> bool:
    """Whether the item's 通办范围 (around its competent organisation) covers the hall."""
    length = SCOPE_PREFIX.get(version.service_scope, SCOPE_PREFIX[ServiceScope.COUNTY])
    return hall.region.code[:length] == organisation.region.code[:length]


def require_item_in_scope(item: ImplementationItem, hall: Organisation) -> None:
    """OUTSIDE_SCOPE unless the item is published and its scope covers the hall."""
    version = item.published_version
    if version is None:
        raise DomainError(CaseError.VERSION_CHANGED)
    if not hall_in_scope(version, item.organisation, hall):
        raise DomainError(CaseError.OUTSIDE_SCOPE)


def items_for_hall(hall: Organisation, query: str = "") -> list[ImplementationItem]:
    """Published items a clerk at the hall may register, matching the name or code typed (most used first)."""
    items = ImplementationItem.objects.filter(published_version__isnull=False).select_related(
        "published_version", "organisation__region"
    )
    query = query.strip()
    if query:
        items = items.filter(Q(published_version__name__icontains=query) | Q(code__iexact=query))
    found = [
        item
        for item in items.order_by("-use_count", "code")[:ITEM_SEARCH_SCAN]
        if hall_in_scope(item.published_version, item.organisation, hall)
    ]
    return found[:ITEM_SEARCH_LIMIT]


def access_item_for_counter(hall: Organisation, item_id: int) -> ImplementationItem:
    """A published item whose scope covers the hall, or OUTSIDE_SCOPE / CASE_NOT_FOUND."""
    item = ImplementationItem.objects.select_related("published_version", "organisation__region").filter(pk=item_id)
    item = item.first()
    if item is None or item.published_version_id is None:
        raise DomainError(CaseError.VERSION_CHANGED)
    require_item_in_scope(item, hall)
    return item


# ---------------------------------------------------------------------------------------------------------------
# Who is at the window


def find_person(*, actor: User, phone: str = "", id_number: str = "") -> User:
    """The person's account by mobile number or resident ID number (blind indexes), or APPLICANT_NOT_FOUND."""
    require_window_clerk(actor)  # finding people by ID number is for the window only
    people = User.objects.filter(kind=UserKind.PERSON, is_active=True)
    person = None
    if id_number.strip():
        person = people.filter(id_number_index=blind_index("id_number", normalize_id_number(id_number))).first()
    elif phone.strip():
        person = people.filter(phone_index=blind_index("phone", phone)).first()
    if person is None:
        raise DomainError(CaseError.APPLICANT_NOT_FOUND)
    return person


def find_enterprise(*, uscc: str) -> User:
    """The enterprise account bound for this unified social credit code, or ENTERPRISE_NOT_FOUND."""
    enterprise = User.objects.filter(
        kind=UserKind.ENTERPRISE, is_active=True, username=normalize_uscc(uscc or "")
    ).first()
    if enterprise is None:
        raise DomainError(CaseError.ENTERPRISE_NOT_FOUND)
    return enterprise


@dataclass(frozen=True)
class WalkIn:
    """Whom the clerk registers for, and who stands at the window.

    account: the person's or the enterprise's account. present: the person account of whoever is at the window (the
    applicant themself; for an enterprise its representative or agent), or None for an enterprise's agent without an
    account, whose name (and phone) the clerk takes from the ID card and letter of authorisation they checked.
    """

    account: User
    present: User | None
    agent_name: str = ""
    agent_phone: str = ""

    @property
    def is_enterprise(self) -> bool:
        return self.account.kind == UserKind.ENTERPRISE


def _check_walk_in(walk_in: WalkIn, item: ImplementationItem, identity_checked: bool) -> None:
    if not walk_in.is_enterprise:
        return
    if walk_in.present is None:
        if not walk_in.agent_name.strip() or not identity_checked:
            message = CaseError.AGENT_NAME_REQUIRED.message
            raise DomainError(CaseError.AGENT_NAME_REQUIRED, fields={"agent_name": [message]})
        return
    if not agent_may_handle(walk_in.present, walk_in.account, item.code):
        raise DomainError(AccountsError.AGENT_OUT_OF_SCOPE)


def _verify_card(actor: User, person: User, card_name: str, card_number: str) -> None:
    """The clerk held the ID card: raise the person to L3 (the registry is consulted; refusals are audited)."""
    if person.real_name_level >= RealNameLevel.L3 and not card_number:
        return
    realname_verify_in_person(
        actor=actor,
        user=person,
        name=card_name or person.real_name,
        id_number=card_number or person.id_number,
    )


def counter_start(
    *,
    actor: User,
    hall: Organisation,
    window: HallWindow,
    item: ImplementationItem,
    walk_in: WalkIn,
    identity_checked: bool = False,
    card_name: str = "",
    card_number: str = "",
) -> Case:
    """Open a window-channel draft for the walk-in applicant at the clerk's hall and window.

    With identity_checked the clerk held the ID card of the person at the window: that person is raised to L3 first
    (card_name/card_number when the account has no verified identity yet), in its own transaction, because the check
    happened whatever becomes of the application.
    """
    require_counter(actor, hall, window)
    require_item_in_scope(item, hall)
    _check_walk_in(walk_in, item, identity_checked)
    if identity_checked and walk_in.present is not None:
        _verify_card(actor, walk_in.present, card_name.strip(), card_number.strip())
        walk_in.present.refresh_from_db()
    return _open_draft(actor, hall, window, item, walk_in, identity_checked)


@transaction.atomic
def _open_draft(actor, hall, window, item, walk_in: WalkIn, identity_checked: bool) -> Case:
    person = walk_in.present or actor  # an enterprise's agent without an account: the clerk files it
    applicant = services.Applicant(account=walk_in.account, person=person)
    case = services.draft_start(
        actor=actor,
        applicant=applicant,
        item=item,
        channel=Channel.WINDOW,
        accepting_hall=hall,
        accepting_window=window,
        identity_checked=identity_checked,
    )
    if walk_in.present is None:
        case.agent_name = walk_in.agent_name.strip()
        case.contact_phone = walk_in.agent_phone.strip() or case.contact_phone
        case.save(update_fields=["agent_name", "contact_phone", "updated_at"])
    audit.record(
        actor=actor,
        action="cases.counter.start",
        obj=case,
        after={
            "hall": hall.pk,
            "window": window.pk,
            "identity_checked": identity_checked,
            "present": walk_in.present.pk if walk_in.present else None,
            "agent_name": case.agent_name,
        },
    )
    return case


# ---------------------------------------------------------------------------------------------------------------
# Filling in and submitting


def counter_upload(*, actor: User, case: Case, material_id: int, file) -> CaseMaterial:
    """Store a scanned or uploaded file (cases/uploads.py: type sniffed, size limit, scan) and attach it."""
    upload = upload_store(actor=actor, file=file)
    return services.material_attach(
        actor=actor, case=case, material_id=material_id, provision=Provision.UPLOAD, upload_id=upload.pk
    )


def counter_paper(*, actor: User, case: Case, material_id: int) -> CaseMaterial:
    """Record that the paper original of a material was handed over at the window (窗口收取纸质材料)."""
    return services.material_attach(actor=actor, case=case, material_id=material_id, provision=Provision.PAPER)


def counter_submit(*, actor: User, case: Case, idempotency_key: str = "") -> Case:
    """Submit the walk-in application: routed to the competent organisation, receipt issued by the hall."""
    return services.case_submit(actor=actor, case=case, idempotency_key=idempotency_key)


# ---------------------------------------------------------------------------------------------------------------
# Loading a counter case for the clerk


def access_counter_case(user: User, public_id) -> Case:
    """A window-channel case registered at a hall where the user is a window clerk; a draft only for the clerk
    who started it. Anything else is CASE_NOT_FOUND, as for every other loader."""
    case = (
        Case.objects.filter(public_id=public_id, channel=Channel.WINDOW)
        .select_related("item", "version", "organisation", "accepting_hall__region", "accepting_window", "applicant")
        .first()
    )
    if case is None or case.accepting_hall is None:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    if case.status == CaseStatus.DRAFT and case.submitted_by_id != user.pk:
        raise DomainError(CaseError.CASE_NOT_FOUND)
    if not access.is_window_clerk_at(user, case.accepting_hall):
        raise DomainError(CaseError.CASE_NOT_FOUND)
    return case

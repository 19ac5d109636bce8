"""Access functions for accounts (DESIGN.md rule 2): who holds which staff role where, one condition per line.

Staff roles (岗位角色) are held in an organisation. A role held with `covers_region_subtree` reaches every
organisation whose region lies in the holder organisation's region subtree, decided by GB/T 2260 code prefix:
a province (330000) covers codes starting "33", a city (330100) "3301", a county (330122) "330122", a town
(330122101) its 9 digits and a village its 12. Without it the role applies to the organisation itself only.

Superusers are not implicitly every role: the audit log must show the real role someone acted in, so a superuser
who approves a case must hold the approver role like anyone else. The one exception is SYSTEM_ADMIN work
(managing staff, OIDC clients, the admin site), which `is_superuser` also allows. System administrators manage
staff and clients; they do not accept, review or approve cases unless they hold those roles too.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import StaffAssignment, StaffRole, User, UserKind
from tongban.core.errors import DomainError
from tongban.core.generation_cache import GenerationCache
from tongban.core.models import Organisation, Region, RegionLevel

# How many leading digits of a GB/T 2260 code name the region itself (the rest are its subdivisions).
REGION_PREFIX_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWN: 9,
    RegionLevel.VILLAGE: 12,
}

_CACHE_ATTRIBUTE = "_tongban_staff_roles"


class HeldRole(NamedTuple):
    """One role a member of staff holds: in an organisation, and over a region prefix when it covers the subtree."""

    role: str
    organisation_id: int
    subtree_prefix: str  # "" when the role covers the organisation only


def region_prefix(code: str) -> str:
    """The leading digits every region inside `code`'s subtree shares: "330122" -> "330122", "330100" -> "3301"."""
    return code[: REGION_PREFIX_LENGTH[Region.level_for_code(code)]]


def staff_roles(user) -> frozenset[HeldRole]:
    """Every role the user holds, kept on the user object for the rest of the request.

    Inactive accounts and accounts that are not staff hold none, whatever rows remain in the table. Between requests
    the roles are kept under a generation (KEPT_ROLES), which every grant, revocation or change of an organisation or
    region ends on commit: the next request in any process reads them afresh.
    """
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    roles = (
        KEPT_ROLES.remember(lambda: (user.pk,), lambda: frozenset(_load_roles(user)))
        if _may_hold_roles(user)
        else frozenset()
    )
    setattr(user, _CACHE_ATTRIBUTE, roles)
    return roles


# A member of staff's roles are read by every staff request (the worklists, every action), so they are kept between
# requests (core/generation_cache.py; decision 0013). What ends a generation: any save or delete of a role
# assignment, and a change or deletion of an organisation or region (a subtree role is decided by the region's code),
# through the signals connected below; an edit made with plain SQL shows within ROLES_SECONDS. A first read inside a
# transaction (tests, mostly) goes to the database, as core/generation_cache.py does for every kept answer.
ROLES_SECONDS = 60
KEPT_ROLES = GenerationCache("accounts:staff-roles", ROLES_SECONDS)


def _role_source_saved(sender, instance, created: bool = False, **kwargs) -> None:
    if sender is StaffAssignment or not created:  # a new organisation or region is in nobody's roles yet
        KEPT_ROLES.bump()


def connect_kept_roles() -> None:
    """End the kept roles' generation on every change that can change someone's roles (AccountsConfig.ready)."""
    for model in (StaffAssignment, Organisation, Region):
        uid = f"accounts.kept_roles.{model.__name__}"
        post_save.connect(_role_source_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_role_source_saved, sender=model, dispatch_uid=f"{uid}-deleted")


def staff_roles_forget(user) -> None:
    """Drop the cached roles (after a grant or revocation within the same request)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def _may_hold_roles(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active:
        return False
    return user.kind == UserKind.STAFF


# Every signed-in request of a member of staff runs it, so it is written out (building it through the ORM cost more
# than running it). Each assignment's organisation has a region (a required key).
_ROLES_SQL = (
    f"SELECT a.role, a.organisation_id, a.covers_region_subtree, r.code"  # noqa: S608
    f" FROM {StaffAssignment._meta.db_table} a"
    f" JOIN {Organisation._meta.db_table} o ON o.id = a.organisation_id"
    f" JOIN {Region._meta.db_table} r ON r.id = o.region_id"
    " WHERE a.user_id = %s"
)


def _load_roles(user: User):
    with connection.cursor() as cursor:
        cursor.execute(_ROLES_SQL, [user.pk])
        rows = cursor.fetchall()
    for role, organisation_id, subtree, region_code in rows:
        yield HeldRole(role, organisation_id, region_prefix(region_code) if subtree else "")


def _covers(held: HeldRole, organisation: Organisation) -> bool:
    if held.organisation_id == organisation.pk:
        return True
    if not held.subtree_prefix:
        return False
    return organisation.region.code.startswith(held.subtree_prefix)


def _active_superuser(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if not user.is_active:
        return False
    return user.is_superuser


def staff_has_role(user, role: str, organisation: Organisation | None = None) -> bool:
    """Whether the user holds `role` for `organisation` (directly or through a subtree), or anywhere when None.

    An active superuser counts as SYSTEM_ADMIN everywhere and as nothing else (see the module docstring).
    """
    if role == StaffRole.SYSTEM_ADMIN and _active_superuser(user):
        return True
    held_roles = [held for held in staff_roles(user) if held.role == role]
    if organisation is None:
        return bool(held_roles)
    return any(_covers(held, organisation) for held in held_roles)


def is_system_admin(user) -> bool:
    """May manage staff, OIDC clients and the admin site: an active superuser, or staff holding SYSTEM_ADMIN."""
    return staff_has_role(user, StaffRole.SYSTEM_ADMIN)


def organisation_ids_where(user, role: str) -> list[int]:
    """The ids of organisations_where(user, role), sorted: no query beyond staff_roles unless a role covers a
    region's subtree (the hot worklists' scopes, issues 5 and 6)."""
    held_roles = [held for held in staff_roles(user) if held.role == role]
    if any(held.subtree_prefix for held in held_roles):
        return sorted(organisations_where(user, role).values_list("pk", flat=True))
    return sorted({held.organisation_id for held in held_roles})


def organisations_where(user, role: str) -> QuerySet[Organisation]:
    """The organisations for which the user holds `role`: one query, to scope lists and worklists."""
    held_roles = [held for held in staff_roles(user) if held.role == role]
    if not held_roles:
        return Organisation.objects.none()
    condition = Q(pk__in=[held.organisation_id for held in held_roles])
    for prefix in {held.subtree_prefix for held in held_roles if held.subtree_prefix}:
        condition |= Q(region__code__startswith=prefix)
    return Organisation.objects.filter(condition)


def require_role(user, role: str, organisation: Organisation | None = None) -> None:
    """Raise ROLE_REQUIRED (403) unless the user holds `role` for `organisation` (or anywhere, when None)."""
    if staff_has_role(user, role, organisation):
        return
    raise DomainError(AccountsError.ROLE_REQUIRED)


def require_system_admin(user) -> None:
    """Raise ROLE_REQUIRED unless the user may do system administration (see is_system_admin)."""
    if is_system_admin(user):
        return
    raise DomainError(AccountsError.ROLE_REQUIRED)


def staff_assignments_of(user) -> list[StaffAssignment]:
    """The user's own role grants with their organisations and regions (我的岗位); none for inactive or non-staff."""
    if not _may_hold_roles(user):
        return []
    return list(
        StaffAssignment.objects.filter(user=user)
        .select_related("organisation__region")
        .order_by("organisation__region__code", "organisation__name", "role")
    )


def second_factor_pending_user(user_id) -> User | None:
    """The account waiting for its second factor (its id kept in the session by the password step): active only."""
    if not isinstance(user_id, int):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def holders_of(role: str, organisation: Organisation) -> QuerySet[User]:
    """Active staff who hold `role` for `organisation`, directly or through a role over its region's subtree."""
    candidates = (
        StaffAssignment.objects.filter(role=role)
        .filter(Q(organisation=organisation) | Q(covers_region_subtree=True))
        .select_related("organisation__region")
    )
    code = organisation.region.code
    user_ids = [
        assignment.user_id
        for assignment in candidates
        if assignment.organisation_id == organisation.pk
        or code.startswith(region_prefix(assignment.organisation.region.code))
    ]
    return User.objects.filter(pk__in=user_ids, is_active=True, kind=UserKind.STAFF).order_by("pk")

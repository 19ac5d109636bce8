"""Staff role access functions: organisation and region-subtree scope, inactive and non-staff accounts, caching."""

import pytest

from tongban.accounts import access, services
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import StaffAssignment, StaffRole, User, UserKind
from tongban.core import services as core_services
from tongban.core.errors import DomainError
from tongban.core.models import OrganisationKind
from tongban.core.tests.identifiers import uscc

PASSWORD = "Qiang-Mima-2026"


@pytest.fixture
def bodies(db):
    """Two counties of 杭州市; 桐庐县 with its hall, two departments, a town office and a village station."""
    for code, name in [
        ("330000", "浙江省"),
        ("330100", "杭州市"),
        ("330122", "桐庐县"),
        ("330122101", "富春江镇"),
        ("330122101201", "石舍村"),
        ("330122102", "横村镇"),
        ("330127", "淳安县"),
        ("330127100", "千岛湖镇"),
    ]:
        core_services.region_create(actor=None, code=code, name=name)
    from tongban.core.models import Region

    def org(key: int, name: str, kind: str, code: str):
        return core_services.organisation_create(
            actor=None,
            name=name,
            uscc=uscc(f"113301227042963{key:02d}"),
            kind=kind,
            region=Region.objects.get(code=code),
        )

    return {
        "hall": org(1, "桐庐县政务服务中心", OrganisationKind.SERVICE_HALL, "330122"),
        "amr": org(2, "桐庐县市场监督管理局", OrganisationKind.DEPARTMENT, "330122"),
        "civil": org(3, "桐庐县民政局", OrganisationKind.DEPARTMENT, "330122"),
        "town": org(4, "富春江镇便民服务中心", OrganisationKind.TOWN_OFFICE, "330122101"),
        "village": org(5, "石舍村便民服务站", OrganisationKind.VILLAGE_STATION, "330122101201"),
        "other_town": org(6, "横村镇便民服务中心", OrganisationKind.TOWN_OFFICE, "330122102"),
        "other_county": org(7, "淳安县政务服务中心", OrganisationKind.SERVICE_HALL, "330127"),
        "other_county_town": org(8, "千岛湖镇便民服务中心", OrganisationKind.TOWN_OFFICE, "330127100"),
        "city": org(9, "杭州市政务服务中心", OrganisationKind.SERVICE_HALL, "330100"),
    }


def staff(username: str, *grants, kind: str = UserKind.STAFF, superuser: bool = False) -> User:
    user = services.user_create(
        actor=None, kind=kind, username=username, display_name=username, password=PASSWORD, is_superuser=superuser
    )
    for organisation, role, subtree in grants:
        services.staff_role_grant(
            actor=None, user=user, organisation=organisation, role=role, covers_region_subtree=subtree
        )
    return User.objects.get(pk=user.pk)  # fresh object: no cached roles


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("330000", "33"),
        ("330100", "3301"),
        ("330122", "330122"),
        ("330122101", "330122101"),
        ("330122101201", "330122101201"),
    ],
)
def test_region_prefix_by_level(code, prefix):
    assert access.region_prefix(code) == prefix


def test_county_role_with_subtree_covers_its_towns_and_villages_only(bodies):
    clerk = staff("clerk", (bodies["hall"], StaffRole.WINDOW_CLERK, True))
    covered = {key for key, org in bodies.items() if access.staff_has_role(clerk, StaffRole.WINDOW_CLERK, org)}
    assert covered == {"hall", "amr", "civil", "town", "village", "other_town"}


def test_role_without_subtree_covers_its_own_organisation_only(bodies):
    clerk = staff("clerk", (bodies["hall"], StaffRole.WINDOW_CLERK, False))
    covered = {key for key, org in bodies.items() if access.staff_has_role(clerk, StaffRole.WINDOW_CLERK, org)}
    assert covered == {"hall"}


def test_town_role_with_subtree_covers_its_villages_not_the_county(bodies):
    clerk = staff("clerk", (bodies["town"], StaffRole.WINDOW_CLERK, True))
    covered = {key for key, org in bodies.items() if access.staff_has_role(clerk, StaffRole.WINDOW_CLERK, org)}
    assert covered == {"town", "village"}


def test_city_supervisor_with_subtree_covers_both_counties(bodies):
    supervisor = staff("supervisor", (bodies["city"], StaffRole.SUPERVISOR, True))
    covered = {key for key, org in bodies.items() if access.staff_has_role(supervisor, StaffRole.SUPERVISOR, org)}
    assert covered == set(bodies)


def test_another_departments_role_and_another_role_do_not_count(bodies):
    reviewer = staff("reviewer", (bodies["amr"], StaffRole.REVIEWER, False))
    assert access.staff_has_role(reviewer, StaffRole.REVIEWER, bodies["amr"]) is True
    assert access.staff_has_role(reviewer, StaffRole.REVIEWER, bodies["civil"]) is False
    assert access.staff_has_role(reviewer, StaffRole.APPROVER, bodies["amr"]) is False
    assert access.staff_has_role(reviewer, StaffRole.REVIEWER) is True
    assert access.staff_has_role(reviewer, StaffRole.APPROVER) is False


def test_inactive_staff_hold_no_roles(bodies):
    clerk = staff("clerk", (bodies["hall"], StaffRole.WINDOW_CLERK, True))
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    clerk = User.objects.get(pk=clerk.pk)
    assert access.staff_roles(clerk) == frozenset()
    assert access.staff_has_role(clerk, StaffRole.WINDOW_CLERK, bodies["hall"]) is False
    assert list(access.organisations_where(clerk, StaffRole.WINDOW_CLERK)) == []


def test_non_staff_hold_no_roles_even_with_a_stray_row(bodies):
    person = staff("13800000001", kind=UserKind.PERSON)
    StaffAssignment.objects.create(user=person, organisation=bodies["hall"], role=StaffRole.WINDOW_CLERK)
    assert access.staff_roles(person) == frozenset()
    assert access.staff_has_role(person, StaffRole.WINDOW_CLERK, bodies["hall"]) is False


def test_anonymous_holds_no_roles(bodies):
    from django.contrib.auth.models import AnonymousUser

    assert access.staff_roles(AnonymousUser()) == frozenset()
    assert access.is_system_admin(AnonymousUser()) is False


def test_roles_are_loaded_once_per_user_object(bodies, django_assert_num_queries):
    clerk = staff("clerk", (bodies["hall"], StaffRole.WINDOW_CLERK, True), (bodies["amr"], StaffRole.REVIEWER, False))
    with django_assert_num_queries(1):
        roles = access.staff_roles(clerk)
        access.staff_roles(clerk)
        access.staff_has_role(clerk, StaffRole.REVIEWER, bodies["amr"])
        access.staff_has_role(clerk, StaffRole.APPROVER)
    assert roles == {
        access.HeldRole(StaffRole.WINDOW_CLERK, bodies["hall"].pk, "330122"),
        access.HeldRole(StaffRole.REVIEWER, bodies["amr"].pk, ""),
    }


def test_organisations_where_is_one_query_and_exactly_the_scope(bodies, django_assert_num_queries):
    clerk = staff(
        "clerk",
        (bodies["town"], StaffRole.WINDOW_CLERK, True),
        (bodies["other_county"], StaffRole.WINDOW_CLERK, False),
        (bodies["amr"], StaffRole.REVIEWER, False),
    )
    access.staff_roles(clerk)
    with django_assert_num_queries(1):
        names = {org.name for org in access.organisations_where(clerk, StaffRole.WINDOW_CLERK)}
    assert names == {"富春江镇便民服务中心", "石舍村便民服务站", "淳安县政务服务中心"}
    assert [org.name for org in access.organisations_where(clerk, StaffRole.REVIEWER)] == ["桐庐县市场监督管理局"]
    assert list(access.organisations_where(clerk, StaffRole.APPROVER)) == []


def test_organisation_ids_where_reads_no_organisation_unless_a_role_covers_a_subtree(bodies, django_assert_num_queries):
    clerk = staff(
        "clerk",
        (bodies["town"], StaffRole.WINDOW_CLERK, True),
        (bodies["other_county"], StaffRole.WINDOW_CLERK, False),
        (bodies["amr"], StaffRole.REVIEWER, False),
        (bodies["hall"], StaffRole.REVIEWER, False),
    )
    access.staff_roles(clerk)
    with django_assert_num_queries(0):
        reviewing = access.organisation_ids_where(clerk, StaffRole.REVIEWER)
        assert access.organisation_ids_where(clerk, StaffRole.APPROVER) == []
    assert reviewing == sorted([bodies["amr"].pk, bodies["hall"].pk])
    with django_assert_num_queries(1):  # the town's subtree: its villages' service stations too
        windows = access.organisation_ids_where(clerk, StaffRole.WINDOW_CLERK)
    assert windows == sorted(org.pk for org in access.organisations_where(clerk, StaffRole.WINDOW_CLERK))
    assert len(windows) == 3


def test_require_role_raises_a_403_domain_error(bodies):
    clerk = staff("clerk", (bodies["hall"], StaffRole.WINDOW_CLERK, False))
    access.require_role(clerk, StaffRole.WINDOW_CLERK, bodies["hall"])
    access.require_role(clerk, StaffRole.WINDOW_CLERK)
    with pytest.raises(DomainError) as raised:
        access.require_role(clerk, StaffRole.WINDOW_CLERK, bodies["village"])
    assert raised.value.code is AccountsError.ROLE_REQUIRED
    assert raised.value.code.status == 403
    assert raised.value.message == "您没有办理此项工作所需的岗位角色"


def test_superuser_is_system_admin_but_holds_no_case_roles(bodies):
    admin = staff("admin", superuser=True)
    assert access.is_system_admin(admin) is True
    assert access.staff_has_role(admin, StaffRole.SYSTEM_ADMIN, bodies["village"]) is True
    for role in StaffRole:
        if role != StaffRole.SYSTEM_ADMIN:
            assert access.staff_has_role(admin, role, bodies["hall"]) is False
            assert access.staff_has_role(admin, role) is False
    with pytest.raises(DomainError):
        access.require_role(admin, StaffRole.APPROVER, bodies["amr"])


def test_inactive_superuser_is_not_system_admin(bodies):
    admin = staff("admin", superuser=True)
    admin.is_active = False
    assert access.is_system_admin(admin) is False


def test_system_admin_role_holder_is_system_admin_without_superuser(bodies):
    admin = staff("sysadmin", (bodies["hall"], StaffRole.SYSTEM_ADMIN, True))
    assert admin.is_superuser is False
    assert access.is_system_admin(admin) is True
    clerk = staff("clerk", (bodies["hall"], StaffRole.WINDOW_CLERK, True))
    assert access.is_system_admin(clerk) is False
    with pytest.raises(DomainError):
        access.require_system_admin(clerk)

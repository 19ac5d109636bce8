# ruff: noqa: F811 — the bodies fixture is imported from the access tests
"""A member of staff's roles kept between requests (accounts/access.py KEPT_ROLES): read once, then no statement until
a grant, a revocation, or a change of an organisation or region ends the generation. These tests run outside a test
transaction (transaction=True), as requests do: inside a transaction the roles are always read afresh."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongban.accounts import access, services
from tongban.accounts.models import StaffAssignment, StaffRole, User
from tongban.accounts.tests.test_access import bodies, staff  # noqa: F401 — a fixture
from tongban.core.models import Organisation, Region

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("own_generation_cache")]


def _fresh(user: User) -> User:
    """The user as a new request loads it (nothing kept on the object)."""
    return User.objects.get(pk=user.pk)


def _roles(user: User) -> tuple[frozenset, int]:
    """The roles as a new request sees them and the statements reading them ran."""
    fresh = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        roles = access.staff_roles(fresh)
    return roles, len(queries.captured_queries)


def _held(user: User) -> set[tuple[str, str]]:
    roles, _statements = _roles(user)
    return {(held.role, Organisation.objects.get(pk=held.organisation_id).name) for held in roles}


def test_roles_are_read_once_then_kept(bodies):
    clerk = staff("clerk", (bodies["amr"], StaffRole.REVIEWER, False))
    assert _roles(clerk) == (frozenset({access.HeldRole(StaffRole.REVIEWER, bodies["amr"].pk, "")}), 1)
    assert _roles(clerk)[1] == 0
    assert access.staff_has_role(_fresh(clerk), StaffRole.REVIEWER, bodies["amr"])


def test_a_grant_and_a_revocation_count_at_the_next_request(bodies):
    clerk = staff("clerk", (bodies["amr"], StaffRole.REVIEWER, False))
    _roles(clerk)
    services.staff_role_grant(actor=None, user=clerk, organisation=bodies["civil"], role=StaffRole.APPROVER)
    assert _held(clerk) == {(StaffRole.REVIEWER, "桐庐县市场监督管理局"), (StaffRole.APPROVER, "桐庐县民政局")}
    StaffAssignment.objects.get(user=clerk, role=StaffRole.REVIEWER).delete()  # as the admin site revokes it
    assert _held(clerk) == {(StaffRole.APPROVER, "桐庐县民政局")}
    assert not access.staff_has_role(_fresh(clerk), StaffRole.REVIEWER, bodies["amr"])


def test_a_moved_organisation_or_a_recoded_region_counts_at_the_next_request(bodies):
    head = staff("head", (bodies["town"], StaffRole.HEAD, True))
    assert access.staff_has_role(_fresh(head), StaffRole.HEAD, bodies["village"])
    town = Organisation.objects.get(pk=bodies["town"].pk)
    town.region = Region.objects.get(code="330122102")  # now over 横村镇, not 富春江镇
    town.save()
    assert not access.staff_has_role(_fresh(head), StaffRole.HEAD, bodies["village"])
    # 横村镇 is recoded to 富春江镇's code (富春江镇 moved aside first, by a plain update): the head's subtree prefix is
    # its region's code, so the village (330122101201) is covered again once the save ends the generation.
    Region.objects.filter(code="330122101").update(code="330122199")
    region = Region.objects.get(code="330122102")
    region.code = "330122101"
    region.save()
    assert access.staff_has_role(_fresh(head), StaffRole.HEAD, bodies["village"])


def test_a_plain_sql_edit_shows_only_with_the_next_generation(bodies):
    clerk = staff("clerk", (bodies["amr"], StaffRole.REVIEWER, False))
    _roles(clerk)
    StaffAssignment.objects.filter(user=clerk).update(role=StaffRole.APPROVER)  # no signal: the kept roles stay
    assert _held(clerk) == {(StaffRole.REVIEWER, "桐庐县市场监督管理局")}
    access.KEPT_ROLES.bump_now()  # what the next save (or ROLES_SECONDS) brings
    assert _held(clerk) == {(StaffRole.APPROVER, "桐庐县市场监督管理局")}


def test_inactive_and_non_staff_accounts_hold_nothing_even_when_kept(bodies):
    clerk = staff("clerk", (bodies["amr"], StaffRole.REVIEWER, False))
    _roles(clerk)
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert _roles(clerk) == (frozenset(), 0)

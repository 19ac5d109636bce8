"""Permission matrix for identity (issue 3): each role is refused what it must not do; a refusal changes nothing.

Roles: a person, an agent within and an agent outside the item's scope, the enterprise's legal representative, a window
clerk, a reviewer, an approver of another organisation, a county supervisor and the system administrator. Actions are
driven over HTTP the way a browser would (signed-in session; staff sessions have passed the second factor), except the
two that have no page of their own yet (acting on an item, resetting an authenticator), which go through the service
functions the pages will call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from tongban.accounts import enterprises, second_factor, services
from tongban.accounts.models import (
    AgentAuthorisation,
    PopulationRecord,
    RealNameLevel,
    StaffRole,
    TotpDevice,
    User,
    UserKind,
    UserSession,
)
from tongban.core.errors import DomainError
from tongban.core.models import Organisation, Region
from tongban.demo.identifiers import credit_code, resident_id

PASSWORD = "Qiang-Mima-2026"
ITEM_IN_SCOPE = "000101001000"
ITEM_OUT_OF_SCOPE = "000101002000"
ACTORS = [
    "person",
    "agent_in_scope",
    "agent_out_of_scope",
    "representative",
    "clerk",
    "reviewer",
    "approver_other_org",
    "supervisor",
    "admin",
]
STAFF_ACTORS = {"clerk", "reviewer", "approver_other_org", "supervisor", "admin"}


@dataclass
class World:
    """The people, bodies and records the matrix acts on."""

    users: dict[str, User]
    enterprise: User
    authorisation: AgentAuthorisation
    subject: User  # the person others try to act upon
    subject_session: UserSession


def _person(username: str, name: str, phone: str, sequence: int, *, verified: bool = True) -> User:
    id_number = resident_id("330122", "19850101", sequence, female=False)
    PopulationRecord.objects.create(name=name, id_number=id_number)
    user = services.user_create(
        actor=None,
        kind=UserKind.PERSON,
        username=username,
        display_name=name,
        phone=phone,
        password=PASSWORD,
        id_number=id_number if verified else "",
        real_name_level=RealNameLevel.L2 if verified else RealNameLevel.L1,
    )
    if verified:
        User.objects.filter(pk=user.pk).update(real_name=name, real_name_verified_at=timezone.now())
        user.refresh_from_db()
    return user


def _staff(username: str, organisation: Organisation, role: str, *, subtree=False, superuser=False) -> User:
    user = services.user_create(
        actor=None,
        kind=UserKind.STAFF,
        username=username,
        display_name=username,
        password=PASSWORD,
        is_superuser=superuser,
    )
    services.staff_role_grant(
        actor=None, user=user, organisation=organisation, role=role, covers_region_subtree=subtree
    )
    return user


def _organisation(name: str, base8: str, kind: str, region: Region) -> Organisation:
    return Organisation.objects.create(name=name, uscc=credit_code("11", "330122", base8), kind=kind, region=region)


@pytest.fixture
def world(db) -> World:
    county = Region.objects.create(code="330122", name="桐庐县", level=3)
    hall = _organisation("行政服务中心", "00990001", "service_hall", county)
    amr = _organisation("市场监管局", "00990002", "department", county)
    civil = _organisation("民政局", "00990003", "department", county)

    users = {
        "person": _person("13800000001", "张三", "13800000001", 1),
        "agent_in_scope": _person("13800000002", "吴晓燕", "13800000002", 2),
        "agent_out_of_scope": _person("13800000003", "赵六", "13800000003", 3),
        "representative": _person("13800000004", "孙丽华", "13800000004", 4),
        "clerk": _staff("clerk", hall, StaffRole.WINDOW_CLERK),
        "reviewer": _staff("reviewer", amr, StaffRole.REVIEWER),
        "approver_other_org": _staff("approver", civil, StaffRole.APPROVER),
        "supervisor": _staff("supervisor", hall, StaffRole.SUPERVISOR, subtree=True),
        "admin": _staff("admin", hall, StaffRole.SYSTEM_ADMIN, subtree=True, superuser=True),
    }
    enterprise = services.user_create(
        actor=None,
        kind=UserKind.ENTERPRISE,
        username=credit_code("91", "330122", "MA2H3K7L"),
        display_name="好味道餐饮有限公司",
        id_number=credit_code("91", "330122", "MA2H3K7L"),
    )
    User.objects.filter(pk=enterprise.pk).update(legal_representative=users["representative"])
    enterprise.refresh_from_db()
    expires = timezone.localdate() + dt.timedelta(days=200)
    authorisation = enterprises.agent_authorise(
        actor=users["representative"],
        enterprise=enterprise,
        phone="13800000002",
        name="吴晓燕",
        all_items=False,
        item_codes=[ITEM_IN_SCOPE],
        expires_on=expires,
    )
    enterprises.agent_authorise(
        actor=users["representative"],
        enterprise=enterprise,
        phone="13800000003",
        name="赵六",
        all_items=False,
        item_codes=[ITEM_OUT_OF_SCOPE],
        expires_on=expires,
    )
    subject = _person("13800000009", "王五", "13800000009", 9, verified=False)
    now = timezone.now()
    subject_session = UserSession.objects.create(user=subject, session_key="s" * 32, created_at=now, last_seen_at=now)
    return World(users, enterprise, authorisation, subject, subject_session)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    if user.kind == UserKind.STAFF:
        session = client.session
        session["second_factor_verified"] = True  # staff sessions only exist after the second factor
        session.save()
    return client


def _authorisations_state() -> list[tuple]:
    return list(
        AgentAuthorisation.objects.order_by("pk").values_list("pk", "agent_phone_index", "revoked_at", "expires_on")
    )


def _assert_refused(response, *, statuses=(403, 404)) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])


# ---------------------------------------------------------------------------------------------------------------
# Authorising and revoking agents: only the enterprise's legal representative.


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_representative_authorises_agents(world, actor):
    before = _authorisations_state()
    response = signed_in(world.users[actor]).post(
        f"/accounts/centre/enterprises/{world.enterprise.pk}/agents/new/",
        {
            "name": "钱七",
            "phone": "13800000007",
            "scope": "all",
            "item_codes": "",
            "expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
    )
    if actor == "representative":
        assert response.status_code == 302
        assert len(_authorisations_state()) == len(before) + 1
    else:
        _assert_refused(response)
        assert _authorisations_state() == before


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_representative_revokes_an_agent(world, actor):
    before = _authorisations_state()
    response = signed_in(world.users[actor]).post(f"/accounts/centre/agents/{world.authorisation.pk}/revoke/")
    world.authorisation.refresh_from_db()
    if actor == "representative":
        assert response.status_code == 302
        assert world.authorisation.revoked_at is not None
    else:
        _assert_refused(response)
        assert _authorisations_state() == before


# ---------------------------------------------------------------------------------------------------------------
# Acting for the enterprise: the representative always, an agent only within the authorised items.


@pytest.mark.parametrize("actor", ACTORS)
def test_switching_to_the_enterprise_identity(world, actor):
    client = signed_in(world.users[actor])
    response = client.post("/accounts/identity/switch/", {"enterprise": world.enterprise.pk})
    may_switch = actor in {"representative", "agent_in_scope", "agent_out_of_scope"}
    if may_switch:
        assert response.status_code == 302
        assert client.get("/accounts/centre/").context["request"].acting_for == world.enterprise
    else:
        _assert_refused(response)
        assert getattr(client.get("/accounts/centre/").context["request"], "acting_for", None) is None


@pytest.mark.parametrize("actor", ACTORS)
def test_handling_an_item_for_the_enterprise_needs_scope(world, actor):
    allowed = actor in {"representative", "agent_in_scope"}
    assert enterprises.agent_may_handle(world.users[actor], world.enterprise, ITEM_IN_SCOPE) is allowed
    if not allowed:
        with pytest.raises(DomainError) as refused:
            enterprises.require_agent_scope(world.users[actor], world.enterprise, ITEM_IN_SCOPE)
        assert refused.value.code.status == 403


# ---------------------------------------------------------------------------------------------------------------
# In-person verification (L3): window clerks only.


@pytest.mark.parametrize("actor", ACTORS)
def test_only_a_window_clerk_verifies_in_person(world, actor):
    PopulationRecord.objects.create(name="王五", id_number=resident_id("330122", "19900101", 7, female=False))
    response = signed_in(world.users[actor]).post(
        "/accounts/counter/realname/?phone=13800000009",
        {"name": "王五", "id_number": resident_id("330122", "19900101", 7, female=False), "card_checked": "on"},
    )
    world.subject.refresh_from_db()
    if actor == "clerk":
        assert response.status_code == 302
        assert world.subject.real_name_level == RealNameLevel.L3
    else:
        _assert_refused(response)
        assert (world.subject.real_name_level, world.subject.id_number) == (RealNameLevel.L1, "")


# ---------------------------------------------------------------------------------------------------------------
# Someone else's session, someone else's authenticator, the admin.


@pytest.mark.parametrize("actor", ACTORS)
def test_nobody_signs_out_another_persons_session(world, actor):
    response = signed_in(world.users[actor]).post(f"/accounts/security/sessions/{world.subject_session.pk}/sign-out/")
    _assert_refused(response, statuses=(404,))
    world.subject_session.refresh_from_db()
    assert world.subject_session.ended_at is None


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_system_administrator_resets_an_authenticator(world, actor):
    clerk = world.users["clerk"]
    TotpDevice.objects.create(user=clerk, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    if actor == "admin":
        second_factor.totp_reset(actor=world.users[actor], user=clerk)
        assert not TotpDevice.objects.filter(user=clerk).exists()
        return
    with pytest.raises(DomainError) as refused:
        second_factor.totp_reset(actor=world.users[actor], user=clerk)
    assert refused.value.code.status == 403
    assert TotpDevice.objects.filter(user=clerk, confirmed_at__isnull=False).count() == 1


@pytest.mark.parametrize("actor", ACTORS)
def test_only_the_system_administrator_enters_the_admin(world, actor):
    client = signed_in(world.users[actor])
    response = client.get("/admin/")
    if actor == "admin":
        assert response.status_code == 200
        return
    assert response.status_code in (302, 403)
    before = Region.objects.count()
    client.post("/admin/core/region/add/", {"code": "330122001", "name": "桐君街道", "active": "on"})
    assert Region.objects.count() == before

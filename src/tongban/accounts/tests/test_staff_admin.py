"""Staff sign-in with the second factor (pages), 我的岗位, and the admin: only system administrators who passed
the second factor in this session; /admin/login/ goes to the platform sign-in; staff are created and reset there."""

import re

import pyotp
import pytest
from django.urls import reverse

from tongban.accounts import second_factor, services
from tongban.accounts.models import (
    RecoveryCode,
    SignInAttempt,
    SignInMethod,
    StaffAssignment,
    StaffRole,
    TotpDevice,
    User,
    UserKind,
)
from tongban.core import services as core_services
from tongban.core.models import AuditEntry, OrganisationKind, Region
from tongban.core.tests.identifiers import uscc

PASSWORD = "Qiang-Mima-2026"
NOW = 1_780_000_000
SECOND_FACTOR = "/accounts/second-factor/"
ROLES = "/accounts/staff/roles/"


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = NOW

        def advance(self, seconds):
            self.now += seconds

    value = Clock()
    monkeypatch.setattr(second_factor, "_clock", lambda: value.now)
    return value


@pytest.fixture
def hall(db):
    core_services.region_create(actor=None, code="330100", name="杭州市")
    county = core_services.region_create(actor=None, code="330122", name="桐庐县")
    return core_services.organisation_create(
        actor=None, name="桐庐县政务服务中心", uscc=uscc(), kind=OrganisationKind.SERVICE_HALL, region=county
    )


def make_staff(username: str, *grants, superuser: bool = False) -> User:
    user = services.user_create(
        actor=None,
        kind=UserKind.STAFF,
        username=username,
        display_name=username,
        password=PASSWORD,
        is_superuser=superuser,
    )
    for organisation, role, subtree in grants:
        services.staff_role_grant(
            actor=None, user=user, organisation=organisation, role=role, covers_region_subtree=subtree
        )
    return user


def password_step(client, username: str, next_url: str = ""):
    response = client.post(
        reverse("accounts:sign_in_password"), {"login": username, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == SECOND_FACTOR
    assert "_auth_user_id" not in client.session  # not signed in before the second factor
    return response


def secret_on_page(html: str) -> str:
    return re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)


def enrol(client, clock, username: str, next_url: str = "") -> tuple[str, list[str], object]:
    """Password, then the enrolment page: read the secret, type the current code. (secret, recovery codes, page)."""
    password_step(client, username, next_url)
    page = client.get(SECOND_FACTOR)
    assert page.status_code == 200
    secret = secret_on_page(page.content.decode())
    response = client.post(SECOND_FACTOR, {"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode())
    return secret, codes, response


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# ---------------------------------------------------------------------------------------------------------------
# Second factor pages


def test_first_sign_in_enrols_shows_recovery_codes_once_and_reaches_my_roles(client, clock, hall):
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, True))
    _secret, codes, response = enrol(client, clock, "clerk")
    html = response.content.decode()
    assert "<h1>保存恢复码</h1>" in html
    assert len(codes) == 10
    assert f'href="{ROLES}"' in html
    assert signed_in_user_id(client) == str(clerk.pk)
    assert client.session["second_factor_verified"] is True
    assert SignInAttempt.objects.filter(user=clerk, succeeded=True).get().method == SignInMethod.TOTP
    roles = client.get(ROLES).content.decode()
    assert "<h1>我的岗位</h1>" in roles
    assert "<td>窗口受理</td>" in roles
    assert "<td>桐庐县政务服务中心</td>" in roles
    assert "<td>桐庐县及下辖区划内的所有机构</td>" in roles
    assert "剩余 10 个可用恢复码" in roles
    assert not any(code in roles for code in codes)  # shown once only


def test_enrolment_page_shows_an_inline_qr_code_and_the_secret_in_groups(client, clock, hall):
    make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    password_step(client, "clerk")
    html = client.get(SECOND_FACTOR).content.decode()
    secret = secret_on_page(html)
    assert '<svg width="' in html and "<title>动态口令绑定二维码</title>" in html
    assert "".join(f"<span>{secret[i : i + 4]}</span> " for i in range(0, 32, 4)) in html
    assert client.get(SECOND_FACTOR).content.decode().count(secret) >= 1  # a reload keeps the same secret
    assert TotpDevice.objects.get().secret == secret


def test_later_sign_in_asks_for_the_code_and_returns_to_next(client, clock, hall):
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    secret, _codes, _page = enrol(client, clock, "clerk")
    client.post(reverse("accounts:sign_out"))
    clock.advance(60)
    password_step(client, "clerk", next_url=ROLES)
    page = client.get(SECOND_FACTOR).content.decode()
    assert "<h1>动态口令验证</h1>" in page
    response = client.post(SECOND_FACTOR, {"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 302
    assert response.headers["Location"] == ROLES
    assert signed_in_user_id(client) == str(clerk.pk)
    assert client.session["second_factor_verified"] is True


def test_a_wrong_code_keeps_the_pending_sign_in_and_says_how_many_tries_remain(client, clock, hall):
    make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    secret, _codes, _page = enrol(client, clock, "clerk")
    client.post(reverse("accounts:sign_out"))
    clock.advance(60)
    password_step(client, "clerk")
    response = client.post(SECOND_FACTOR, {"code": pyotp.TOTP(secret).at(clock.now + 600)})
    html = response.content.decode()
    assert response.status_code == 400
    assert "动态口令不正确或已过期" in html
    assert "本次登录还可以再试 4 次" in html
    assert 'aria-invalid="true"' in html
    assert signed_in_user_id(client) is None
    assert SignInAttempt.objects.filter(succeeded=False, reason="second_factor_wrong").count() == 1


def test_a_code_replayed_in_a_new_sign_in_is_refused(client, clock, hall):
    make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    secret, _codes, _page = enrol(client, clock, "clerk")
    client.post(reverse("accounts:sign_out"))
    password_step(client, "clerk")
    response = client.post(SECOND_FACTOR, {"code": pyotp.TOTP(secret).at(clock.now)})  # the enrolment's code
    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_five_wrong_codes_end_the_pending_sign_in_and_lock_the_account(client, clock, hall):
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    secret, _codes, _page = enrol(client, clock, "clerk")
    client.post(reverse("accounts:sign_out"))
    clock.advance(60)
    password_step(client, "clerk")
    for _ in range(4):
        assert client.post(SECOND_FACTOR, {"code": "000000"}).status_code == 400
    response = client.post(SECOND_FACTOR, {"code": "000000"})
    assert response.status_code == 429
    assert "<h1>请重新登录</h1>" in response.content.decode()
    assert "second_factor_user_id" not in client.session
    # The right code no longer helps: the pending sign-in is gone.
    response = client.post(SECOND_FACTOR, {"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 400
    assert "登录已超时或尚未输入密码" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert TotpDevice.objects.get(user=clerk).last_used_step == NOW // 30
    # Five failures in 30 minutes lock the account for password sign-in too.
    response = client.post(reverse("accounts:sign_in_password"), {"login": "clerk", "password": PASSWORD})
    assert response.status_code == 400
    assert "登录失败次数过多" in response.content.decode()


def test_a_recovery_code_signs_in_once(client, clock, hall):
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    _secret, codes, _page = enrol(client, clock, "clerk")
    client.post(reverse("accounts:sign_out"))
    password_step(client, "clerk")
    assert "<h1>使用恢复码登录</h1>" in client.get(SECOND_FACTOR + "?method=recovery").content.decode()
    response = client.post(SECOND_FACTOR + "?method=recovery", {"code": codes[0]})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(clerk.pk)
    assert SignInAttempt.objects.filter(user=clerk, succeeded=True).latest("id").method == SignInMethod.RECOVERY_CODE
    assert "剩余 9 个可用恢复码" in client.get(ROLES).content.decode()
    client.post(reverse("accounts:sign_out"))
    password_step(client, "clerk")
    response = client.post(SECOND_FACTOR + "?method=recovery", {"code": codes[0]})
    assert response.status_code == 400
    assert "恢复码不正确或已经用过" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_the_second_factor_page_without_a_password_step_says_sign_in_again(client, db):
    response = client.get(SECOND_FACTOR)
    assert response.status_code == 400
    html = response.content.decode()
    assert "登录已超时或尚未输入密码，请重新登录" in html
    assert 'href="/accounts/sign-in/"' in html


def test_regenerating_recovery_codes_from_my_roles(client, clock, hall):
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    _secret, old, _page = enrol(client, clock, "clerk")
    response = client.post(reverse("accounts:recovery_codes_regenerate"))
    new = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode())
    assert len(new) == 10 and set(new).isdisjoint(old)
    assert "原来的恢复码已经作废" in response.content.decode()
    assert RecoveryCode.objects.filter(user=clerk).count() == 10


def test_staff_pages_send_anonymous_to_sign_in_and_refuse_people_and_unverified_sessions(client, hall):
    response = client.get(ROLES)
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/sign-in/?next=/accounts/staff/roles/"
    person = services.user_create(actor=None, kind=UserKind.PERSON, username="13800000001", display_name="张三")
    client.force_login(person)
    assert client.get(ROLES).status_code == 403
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    client.force_login(clerk)
    response = client.get(ROLES)
    assert response.status_code == 403
    assert "需要在本次登录中完成动态口令验证" in response.content.decode()
    before = RecoveryCode.objects.count()
    assert client.post(reverse("accounts:recovery_codes_regenerate")).status_code == 403
    assert RecoveryCode.objects.count() == before


# ---------------------------------------------------------------------------------------------------------------
# The admin


def test_admin_login_sends_to_the_platform_sign_in_keeping_next(client, db):
    response = client.get("/admin/login/?next=/admin/core/region/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/sign-in/?next=%2Fadmin%2Fcore%2Fregion%2F"
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.headers["Location"] == "/accounts/sign-in/?next=%2Fadmin%2F"


def test_admin_password_form_cannot_bypass_the_second_factor(client, hall):
    make_staff("admin", (hall, StaffRole.SYSTEM_ADMIN, True), superuser=True)
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_demo_style_admin_signs_in_with_the_second_factor_and_uses_the_admin(client, clock, hall):
    make_staff("admin", (hall, StaffRole.SYSTEM_ADMIN, True), superuser=True)
    _secret, _codes, response = enrol(client, clock, "admin", next_url="/admin/")
    assert 'href="/admin/"' in response.content.decode()
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/auditentry/").status_code == 200
    assert client.get("/admin/login/?next=/admin/core/region/").headers["Location"] == "/admin/core/region/"


def test_superuser_without_the_second_factor_in_this_session_is_refused(client, hall):
    admin_user = make_staff("admin", superuser=True)
    client.force_login(admin_user)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "管理后台只对系统管理员开放" in response.content.decode()


def test_system_admin_role_holder_with_the_second_factor_enters(client, hall):
    sysadmin = make_staff("sysadmin", (hall, StaffRole.SYSTEM_ADMIN, True))
    client.force_login(sysadmin)
    session = client.session
    session["second_factor_verified"] = True
    session.save()
    assert client.get("/admin/").status_code == 200


def test_staff_without_system_admin_role_is_refused_and_changes_nothing(client, hall):
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, True), (hall, StaffRole.SUPERVISOR, True))
    client.force_login(clerk)
    session = client.session
    session["second_factor_verified"] = True
    session.save()
    before = (Region.objects.count(), AuditEntry.objects.count(), User.objects.count())
    response = client.post(
        "/admin/core/region/add/", {"code": "330122101", "name": "富春江镇", "active": "on"}, follow=True
    )
    assert response.status_code == 403
    assert "管理后台只对系统管理员开放" in response.content.decode()
    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "sneaky", "display_name": "x", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 403
    assert (Region.objects.count(), AuditEntry.objects.count(), User.objects.count()) == before


def test_admin_creates_a_staff_account_with_a_strong_password_and_grants_roles_audited(admin_client, admin_user, hall):
    weak = admin_client.post(
        "/admin/accounts/user/add/",
        {"username": "clerk_li", "display_name": "李科员", "password1": "123", "password2": "123"},
    )
    assert weak.status_code == 200
    assert not User.objects.filter(username="clerk_li").exists()
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {"username": "clerk_li", "display_name": "李科员", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    clerk = User.objects.get(username="clerk_li")
    assert (clerk.kind, clerk.display_name, clerk.check_password(PASSWORD)) == (UserKind.STAFF, "李科员", True)
    created = AuditEntry.objects.get(action="user.create", object_id=str(clerk.pk))
    assert created.actor == admin_user
    change_url = f"/admin/accounts/user/{clerk.pk}/change/"
    page = admin_client.get(change_url).content.decode()
    assert "assignments-TOTAL_FORMS" in page
    form = {
        "username": "clerk_li",
        "kind": UserKind.STAFF,
        "display_name": "李科员",
        "real_name_level": 1,
        "is_active": "on",
        "assignments-TOTAL_FORMS": "1",
        "assignments-INITIAL_FORMS": "0",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        "assignments-0-organisation": hall.pk,
        "assignments-0-role": StaffRole.WINDOW_CLERK,
        "assignments-0-covers_region_subtree": "on",
    }
    response = admin_client.post(change_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = StaffAssignment.objects.get(user=clerk)
    assert (assignment.role, assignment.organisation, assignment.covers_region_subtree) == (
        StaffRole.WINDOW_CLERK,
        hall,
        True,
    )
    grant = AuditEntry.objects.get(action="staff_role.grant", object_id=str(assignment.pk))
    assert grant.actor == admin_user
    assert grant.after == {"user": "clerk_li", "organisation": hall.pk, "role": "window_clerk", "subtree": True}


def test_people_have_no_role_inline(admin_client, db):
    person = services.user_create(actor=None, kind=UserKind.PERSON, username="13800000001", display_name="张三")
    assert (
        "assignments-TOTAL_FORMS" not in admin_client.get(f"/admin/accounts/user/{person.pk}/change/").content.decode()
    )


def test_admin_resets_a_lost_authenticator_audited(admin_client, admin_user, clock, hall):
    clerk = make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    enrolment = second_factor.totp_enrol_start(actor=clerk)
    second_factor.totp_enrol_confirm(actor=clerk, code=pyotp.TOTP(enrolment.secret).at(clock.now))
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "reset_second_factor", "_selected_action": [clerk.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "已重置 1 个账号的动态口令" in response.content.decode()
    assert not TotpDevice.objects.filter(user=clerk).exists()
    assert not RecoveryCode.objects.filter(user=clerk).exists()
    assert AuditEntry.objects.get(action="totp.reset").actor == admin_user


def test_admin_logout_ends_the_platform_session(client, clock, hall):
    from tongban.accounts.models import UserSession

    admin = make_staff("admin", (hall, StaffRole.SYSTEM_ADMIN, True), superuser=True)
    enrol(client, clock, "admin", next_url="/admin/")
    assert client.get("/admin/logout/").status_code == 405
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert signed_in_user_id(client) is None
    assert UserSession.objects.get(user=admin).ended_at is not None
    assert client.get("/admin/").status_code == 302


def test_the_header_does_not_look_signed_in_while_the_second_factor_is_pending(client, clock, hall):
    make_staff("clerk", (hall, StaffRole.WINDOW_CLERK, False))
    password_step(client, "clerk")
    response = client.get(SECOND_FACTOR)
    html = response.content.decode()
    assert response.context["user"].is_authenticated is False
    assert reverse("accounts:sign_out") not in html
    assert reverse("accounts:centre") not in html
    assert "clerk，工作人员账号登录时除密码外还需要输入手机验证器上的动态口令" in html


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (StaffRole.CATALOGUE_EDITOR, ["/workbench/catalog/"]),
        (StaffRole.WINDOW_CLERK, ["/accounts/counter/realname/"]),
        (StaffRole.SUPERVISOR, []),
    ],
)
def test_my_roles_links_to_the_workbenches_of_the_roles_held(client, clock, hall, role, links):
    make_staff("worker", (hall, role, False))
    enrol(client, clock, "worker")
    html = client.get(reverse("accounts:staff_roles")).content.decode()
    found = re.findall(r'<li><a href="(/workbench/catalog/|/accounts/counter/realname/)">', html)
    assert found == links

"""Who may enter the admin: only system administrators. A denied request changes nothing.

The admin has no password form of its own: /admin/login/ sends everyone to the platform sign-in, which asks staff
for the second factor (tests of that path: test_staff_admin.py)."""

import pytest

from tongban.accounts import services
from tongban.accounts.models import User, UserKind
from tongban.core.models import AuditEntry, Region

PASSWORD = "Qiang-Mima-2026"


def make_user(kind: str, username: str, *, superuser: bool = False) -> User:
    return services.user_create(
        actor=None, kind=kind, username=username, display_name=username, password=PASSWORD, is_superuser=superuser
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "username"),
    [(UserKind.PERSON, "13800000001"), (UserKind.ENTERPRISE, "enterprise"), (UserKind.STAFF, "clerk")],
)
def test_non_administrators_cannot_sign_in_to_the_admin_or_change_anything(client, kind, username):
    make_user(kind, username)
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302  # to the platform sign-in; the admin's own form checks no password
    assert response.headers["Location"] == "/accounts/sign-in/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    before = (Region.objects.count(), AuditEntry.objects.count())
    response = client.post("/admin/core/region/add/", {"code": "330122", "name": "桐庐县", "active": "on"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/")
    assert (Region.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/admin/core/auditentry/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login/?next=/admin/core/auditentry/"


@pytest.mark.django_db
def test_system_administrator_signs_in_and_sees_the_audit_log(client):
    client.force_login(make_user(UserKind.STAFF, "admin", superuser=True))
    session = client.session
    session["second_factor_verified"] = True  # as views_staff sets it after the dynamic code
    session.save()
    assert client.get("/admin/core/auditentry/").status_code == 200

"""Machine clients of /api/v1/ (client credentials) and people's tokens on the identity API: scopes, 401/403 in the
platform's error body, and an audit row with the client id for every call."""

from __future__ import annotations

import datetime as dt

import pytest
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone
from oauth2_provider.models import AccessToken

from tongban.accounts.tests import oidc_fixtures as fx
from tongban.core.models import AuditEntry

USER_ROUTE = "api.GET /api/v1/identity/users/<sub>"


def machine_token(client) -> str:
    """A client-credentials token fetched from the token endpoint with HTTP Basic client authentication."""
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "identity:read"},
        headers={"authorization": _basic("civil-batch", fx.MACHINE_SECRET)},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["token_type"], body["scope"]) == ("Bearer", "identity:read")
    return body["access_token"]


def _basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _expected_identity(user) -> dict:
    return {
        "sub": str(user.subject_id),
        "kind": "person",
        "name": "李建国",
        "real_name_level": 2,
        "real_name_verified_at": None,
        "id_number_masked": f"{fx.LI_ID[:4]}**********{fx.LI_ID[-4:]}",
    }


@pytest.mark.django_db(transaction=True)
def test_a_machine_client_gets_a_token_over_http_and_reads_a_verified_identity(live_server):
    user = fx.person()
    fx.machine_client()
    session = OAuth2Session("civil-batch", fx.MACHINE_SECRET, scope="identity:read")
    token = session.fetch_token(f"{live_server.url}/o/token/", grant_type="client_credentials")
    assert token["scope"] == "identity:read" and "refresh_token" not in token and "id_token" not in token

    response = session.get(f"{live_server.url}/api/v1/identity/users/{user.subject_id}", timeout=10)
    assert response.status_code == 200
    assert response.json() == _expected_identity(user)

    entry = AuditEntry.objects.get(action=USER_ROUTE)
    assert (entry.actor_id, entry.actor_label) == (None, "client:civil-batch")
    assert entry.after == {
        "client_id": "civil-batch",
        "path": f"/api/v1/identity/users/{user.subject_id}",
        "scope": "identity:read",
        "outcome": "allowed",
    }


@pytest.mark.django_db
def test_every_call_is_audited_even_one_that_finds_nothing(client):
    fx.machine_client()
    token = machine_token(client)
    response = client.get(
        "/api/v1/identity/users/00000000-0000-4000-8000-000000000000", headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert response.json()["code"] == "accounts.identity_not_found"
    assert AuditEntry.objects.filter(action=USER_ROUTE, actor_label="client:civil-batch").count() == 1


@pytest.mark.django_db
def test_a_machine_client_cannot_ask_for_identity_scopes(client):
    fx.machine_client()
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "openid profile"},
        headers={"authorization": _basic("civil-batch", fx.MACHINE_SECRET)},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


@pytest.mark.django_db
def test_a_wrong_client_secret_gets_no_token(client):
    fx.machine_client()
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "identity:read"},
        headers={"authorization": _basic("civil-batch", "not-the-secret")},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


@pytest.mark.django_db
def test_without_a_token_the_answer_is_401_in_the_platform_error_body(client):
    user = fx.person()
    before = AuditEntry.objects.count()
    response = client.get(f"/api/v1/identity/users/{user.subject_id}")
    assert response.status_code == 401
    body = response.json()
    assert (body["code"], body["message"]) == (
        "accounts.api_token_missing",
        "请在 Authorization 请求头中以 Bearer 方式提供访问令牌",
    )
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["expired", "unknown"])
def test_an_expired_or_unknown_token_is_401(client, state):
    user = fx.person()
    fx.machine_client()
    token = machine_token(client)
    if state == "expired":
        AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    else:
        token = token[:-2] + "xx"
    before = AuditEntry.objects.count()
    response = client.get(f"/api/v1/identity/users/{user.subject_id}", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "accounts.api_token_invalid"
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_a_token_without_the_scope_is_403_audited_as_denied_and_reads_nothing(client):
    user = fx.person()
    machine = fx.machine_client()
    AccessToken.objects.create(
        application=machine, token="no-scope-token", scope="", expires=timezone.now() + dt.timedelta(hours=1)
    )
    response = client.get(
        f"/api/v1/identity/users/{user.subject_id}", headers={"authorization": "Bearer no-scope-token"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "accounts.api_scope_missing"
    assert "李建国" not in response.content.decode()
    entry = AuditEntry.objects.get(action=USER_ROUTE)
    assert (entry.actor_label, entry.after["outcome"]) == ("client:civil-batch", "denied: scope")


@pytest.mark.django_db
def test_a_persons_token_reads_their_own_claims_but_not_others_identities(client):
    user = fx.person()
    hukou = fx.hukou_client()
    AccessToken.objects.create(
        user=user,
        application=hukou,
        token="person-token",
        scope="openid profile realname",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    headers = {"authorization": "Bearer person-token"}
    me = client.get("/api/v1/identity/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {
        "sub": str(user.subject_id),
        "name": "李建国",
        "real_name_level": 2,
        "id_number_masked": f"{fx.LI_ID[:4]}**********{fx.LI_ID[-4:]}",
    }
    me_entry = AuditEntry.objects.get(action="api.GET /api/v1/identity/me")
    assert (me_entry.actor_id, me_entry.after["client_id"]) == (user.pk, "hukou")

    other = client.get(f"/api/v1/identity/users/{user.subject_id}", headers=headers)
    assert other.status_code == 403
    assert other.json()["code"] == "accounts.api_scope_missing"


@pytest.mark.django_db
def test_a_machine_token_cannot_ask_who_am_i(client):
    fx.machine_client()
    token = machine_token(client)
    AccessToken.objects.update(scope="identity:read openid")  # even with openid it names no person
    response = client.get("/api/v1/identity/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["code"] == "accounts.api_scope_missing"


@pytest.mark.django_db
def test_client_changes_made_in_the_admin_are_audited_without_the_secret(rf):
    from django.contrib import admin

    admin_user = fx.staff_member()
    application = fx.hukou_client()
    model_admin = admin.site._registry[type(application)]
    request = rf.post("/admin/")
    request.user = admin_user
    application.skip_authorization = True
    model_admin.save_model(request, application, None, True)
    entry = AuditEntry.objects.get(action="oidc_client.update")
    assert (entry.actor_id, entry.before["skip_authorization"], entry.after["skip_authorization"]) == (
        admin_user.pk,
        False,
        True,
    )
    assert fx.HUKOU_SECRET not in str(entry.after) and "client_secret" not in entry.after
    model_admin.delete_model(request, application)
    assert AuditEntry.objects.get(action="oidc_client.delete").before["client_id"] == "hukou"


@pytest.mark.django_db
def test_the_demo_machine_client_gets_a_token_with_the_printed_secret(client):
    from tongban.demo import data
    from tongban.demo.seed import _oidc_clients

    _oidc_clients()
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "identity:read"},
        headers={"authorization": _basic("demo-minzheng-jiuzhu", data.demo_client_secret("demo-minzheng-jiuzhu"))},
    )
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="oidc_client.register").count() == len(data.OIDC_CLIENTS)

"""Single sign-on through the platform's OpenID Connect provider, driven by a real client library (Authlib).

The provider runs as pytest-django's live server; a department system's browser leg is a requests session carrying
the person's platform session cookie, and it stops at the redirect to the system's callback (nothing listens there).
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import AccessToken, Grant, IDToken

from tongban.accounts.tests import oidc_fixtures as fx
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(live_server):
    return requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10).json()


def authlib_client(application_id: str, secret: str, scope: str) -> OAuth2Session:
    return OAuth2Session(
        application_id,
        secret,
        scope=scope,
        redirect_uri=fx.REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def authorize(http: requests.Session, url: str, *, consent: bool | None = True) -> requests.Response:
    """Open the authorization URL as the signed-in person; answer the consent page if one is shown."""
    response = http.get(url, allow_redirects=False, timeout=10)
    if response.status_code == 200 and consent is not None:
        fields = fx.hidden_fields(response.text)
        if consent:
            fields["allow"] = "true"
        response = http.post(response.url, data=fields, allow_redirects=False, timeout=10)
    return response


def callback_params(response: requests.Response) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.startswith(fx.REDIRECT_URI + "?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def sign_in(provider, user, *, scope="openid profile", application=None, secret=fx.HUKOU_SECRET):
    """The whole code flow with PKCE S256: returns (Authlib client, token response, nonce)."""
    application = application or fx.hukou_client()
    client = authlib_client(application.client_id, secret, scope)
    verifier = secrets.token_urlsafe(48)
    nonce, state = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url, _state = client.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=verifier, nonce=nonce, state=state
    )
    response = authorize(fx.signed_in_session(user), url)
    callback = response.headers["Location"]
    token = client.fetch_token(
        provider["token_endpoint"], authorization_response=callback, code_verifier=verifier, state=state
    )
    return client, token, nonce


def verified_id_token(provider, token, *, client_id: str, nonce: str) -> dict:
    """Check the ID token's RS256 signature against the published keys, then iss, aud, nonce, exp and iat.

    joserfc is Authlib's JOSE library (authlib.jose is deprecated in its favour).
    """
    keys = KeySet.import_key_set(requests.get(provider["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider["issuer"]},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(decoded.claims)
    return decoded.claims


# ---------------------------------------------------------------------------------------------------------------
# Discovery


def test_discovery_names_the_site_root_as_issuer_and_only_what_the_provider_accepts(live_server, provider):
    root = live_server.url
    assert provider["issuer"] == root
    assert provider["authorization_endpoint"] == f"{root}/o/authorize/"
    assert provider["token_endpoint"] == f"{root}/o/token/"
    assert provider["userinfo_endpoint"] == f"{root}/o/userinfo/"
    assert provider["jwks_uri"] == f"{root}/o/.well-known/jwks.json"
    assert provider["end_session_endpoint"] == f"{root}/o/logout/"
    assert provider["response_types_supported"] == ["code"]
    assert provider["code_challenge_methods_supported"] == ["S256"]
    assert provider["id_token_signing_alg_values_supported"][0] == "RS256"
    assert provider["subject_types_supported"] == ["public"]
    assert set(provider["scopes_supported"]) == {
        "openid",
        "profile",
        "phone",
        "realname",
        "staff",
        "identity:read",
        "cases",
    }
    assert set(provider["claims_supported"]) == {
        "sub",
        "name",
        "phone_number",
        "real_name_level",
        "id_number_masked",
        "organisation",
        "roles",
    }
    oauth_metadata = requests.get(f"{root}/.well-known/oauth-authorization-server", timeout=10).json()
    assert oauth_metadata["issuer"] == root
    keys = requests.get(provider["jwks_uri"], timeout=10).json()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [("RSA", "RS256", "sig")]
    assert "d" not in keys[0]  # the public half only


# ---------------------------------------------------------------------------------------------------------------
# The code flow, claims and consent


def test_a_department_system_signs_a_person_in_with_code_pkce_and_a_verified_id_token(provider):
    user = fx.person()
    client, token, nonce = sign_in(provider, user, scope="openid profile")

    claims = verified_id_token(provider, token, client_id="hukou", nonce=nonce)
    assert claims["sub"] == str(user.subject_id) != str(user.pk)
    assert claims["name"] == "李建国"
    assert claims["iat"] <= time.time() < claims["exp"]
    assert "phone_number" not in claims and "real_name_level" not in claims
    assert token["token_type"] == "Bearer" and set(token["scope"].split()) == {"openid", "profile"}

    userinfo = client.get(provider["userinfo_endpoint"], timeout=10)
    assert userinfo.status_code == 200
    assert userinfo.json() == {"sub": str(user.subject_id), "name": "李建国"}

    consent = AuditEntry.objects.get(action="oidc.consent_allow")
    assert (consent.actor_id, consent.after) == (user.pk, {"client_id": "hukou", "scopes": ["openid", "profile"]})


def test_each_scope_releases_its_own_claims_and_nothing_more(provider):
    user = fx.person()
    client, token, nonce = sign_in(provider, user, scope="openid phone realname")
    claims = verified_id_token(provider, token, client_id="hukou", nonce=nonce)
    expected = {
        "sub": str(user.subject_id),
        "phone_number": "+8613805710003",
        "real_name_level": 2,
        "id_number_masked": f"{fx.LI_ID[:4]}**********{fx.LI_ID[-4:]}",
    }
    assert {key: claims[key] for key in expected} == expected
    assert "name" not in claims
    assert client.get(provider["userinfo_endpoint"], timeout=10).json() == expected


def test_staff_scope_gives_organisation_and_roles_of_staff(provider):
    user = fx.staff_member()
    client, _token, _nonce = sign_in(provider, user, scope="openid staff")
    assert client.get(provider["userinfo_endpoint"], timeout=10).json() == {
        "sub": str(user.subject_id),
        "organisation": {"uscc": fx.POLICE_USCC, "name": "桐庐县公安局", "region_code": "330122"},
        "roles": [
            {
                "role": "reviewer",
                "role_name": "审查",
                "organisation": fx.POLICE_USCC,
                "organisation_name": "桐庐县公安局",
                "covers_region_subtree": False,
            }
        ],
    }


def test_staff_scope_tells_nothing_about_a_person(provider):
    user = fx.person()
    client, _token, _nonce = sign_in(provider, user, scope="openid staff")
    assert client.get(provider["userinfo_endpoint"], timeout=10).json() == {"sub": str(user.subject_id)}


def test_a_first_party_client_skips_the_consent_page(provider):
    user = fx.person()
    portal = fx.portal_client()
    client = authlib_client("portal", fx.PORTAL_SECRET, "openid profile")
    url, _state = client.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48), nonce="n-1"
    )
    response = authorize(fx.signed_in_session(user), url, consent=None)
    assert response.status_code == 302
    assert "code" in callback_params(response)
    assert Grant.objects.filter(application=portal, user=user).count() == 1
    assert not AuditEntry.objects.filter(action__startswith="oidc.consent").exists()


def test_the_consent_page_says_in_chinese_what_each_scope_reveals(provider):
    user = fx.person()
    fx.hukou_client()
    client = authlib_client("hukou", fx.HUKOU_SECRET, "openid profile phone")
    url, _state = client.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48), nonce="n-2"
    )
    page = fx.signed_in_session(user).get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200
    assert "“公安局户籍业务系统”请求使用您的统一身份登录" in page.text
    assert "您完整的手机号码" in page.text and "您的姓名" in page.text
    assert "实名核验等级" not in page.text  # realname was not asked for
    assert ">同意</button>" in page.text and ">拒绝</button>" in page.text
    assert not Grant.objects.exists()


def test_refusing_consent_sends_the_person_back_with_access_denied_and_issues_nothing(provider):
    user = fx.person()
    fx.hukou_client()
    client = authlib_client("hukou", fx.HUKOU_SECRET, "openid profile")
    url, state = client.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48), nonce="n-3"
    )
    response = authorize(fx.signed_in_session(user), url, consent=False)
    params = callback_params(response)
    assert (params["error"], params["state"]) == ("access_denied", state)
    assert "code" not in params
    assert not Grant.objects.exists() and not AccessToken.objects.exists()
    assert AuditEntry.objects.get(action="oidc.consent_deny").actor_id == user.pk


def test_a_person_who_is_not_signed_in_is_sent_to_sign_in_first(live_server, provider):
    fx.hukou_client()
    client = authlib_client("hukou", fx.HUKOU_SECRET, "openid")
    url, _state = client.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    from django.conf import settings
    from django.shortcuts import resolve_url

    assert location.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(location.query)["next"][0] == urlsplit(url).path + "?" + urlsplit(url).query


# ---------------------------------------------------------------------------------------------------------------
# Refusals


def test_pkce_plain_is_refused_with_an_oauth_error(provider):
    user = fx.person()
    fx.hukou_client()
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": "hukou",
        "redirect_uri": fx.REDIRECT_URI,
        "scope": "openid",
        "state": "s-plain",
        "code_challenge": verifier,
        "code_challenge_method": "plain",
    }
    response = authorize(fx.signed_in_session(user), f"{provider['authorization_endpoint']}?{urlencode(query)}")
    params = callback_params(response)
    assert (params["error"], params["state"]) == ("invalid_request", "s-plain")
    assert params["error_description"] == "Transform algorithm not supported."
    assert not Grant.objects.exists()


def test_a_challenge_without_method_means_plain_and_is_refused(provider):
    user = fx.person()
    fx.hukou_client()
    query = {
        "response_type": "code",
        "client_id": "hukou",
        "redirect_uri": fx.REDIRECT_URI,
        "scope": "openid",
        "code_challenge": secrets.token_urlsafe(48),
    }
    response = authorize(fx.signed_in_session(user), f"{provider['authorization_endpoint']}?{urlencode(query)}")
    params = callback_params(response)
    assert (params["error"], params["error_description"]) == ("invalid_request", "Transform algorithm not supported.")
    assert not Grant.objects.exists()


def test_a_request_without_pkce_is_refused(provider):
    user = fx.person()
    fx.hukou_client()
    query = {"response_type": "code", "client_id": "hukou", "redirect_uri": fx.REDIRECT_URI, "scope": "openid"}
    response = authorize(fx.signed_in_session(user), f"{provider['authorization_endpoint']}?{urlencode(query)}")
    params = callback_params(response)
    assert params["error"] == "invalid_request"
    assert params["error_description"] == "Code challenge required."
    assert not Grant.objects.exists()


def _code_for(provider, user, verifier: str) -> tuple[OAuth2Session, str]:
    fx.hukou_client()
    client = authlib_client("hukou", fx.HUKOU_SECRET, "openid")
    url, _state = client.create_authorization_url(provider["authorization_endpoint"], code_verifier=verifier)
    response = authorize(fx.signed_in_session(user), url)
    return client, callback_params(response)["code"]


def _exchange(provider, code: str, verifier: str) -> requests.Response:
    return requests.post(
        provider["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": fx.REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=("hukou", fx.HUKOU_SECRET),
        timeout=10,
    )


def test_a_wrong_code_verifier_is_refused_and_issues_no_token(provider):
    user = fx.person()
    _client, code = _code_for(provider, user, secrets.token_urlsafe(48))
    response = _exchange(provider, code, secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists() and not IDToken.objects.exists()


def test_a_code_works_once(provider):
    user = fx.person()
    verifier = secrets.token_urlsafe(48)
    _client, code = _code_for(provider, user, verifier)
    first = _exchange(provider, code, verifier)
    assert first.status_code == 200 and "id_token" in first.json()
    again = _exchange(provider, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 1


def test_an_unregistered_redirect_uri_is_refused_on_the_platform_without_redirecting(provider):
    user = fx.person()
    fx.hukou_client()
    client = OAuth2Session(
        "hukou", fx.HUKOU_SECRET, scope="openid", redirect_uri="http://evil.example/cb", code_challenge_method="S256"
    )
    url, _state = client.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    response = fx.signed_in_session(user).get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "无法完成统一身份认证登录" in response.text
    assert not Grant.objects.exists()


def test_a_sign_in_client_cannot_ask_for_api_scopes(provider):
    user = fx.person()
    fx.hukou_client()
    client = authlib_client("hukou", fx.HUKOU_SECRET, "openid identity:read")
    url, _state = client.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    response = authorize(fx.signed_in_session(user), url)
    assert callback_params(response)["error"] == "invalid_scope"
    assert not Grant.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# RP-initiated logout


def test_rp_initiated_logout_asks_then_ends_the_platform_session_and_returns_to_the_system(provider):
    user = fx.person()
    _client, token, _nonce = sign_in(provider, user, scope="openid")
    http = fx.signed_in_session(user)
    query = {
        "id_token_hint": token["id_token"],
        "client_id": "hukou",
        "post_logout_redirect_uri": fx.LOGOUT_REDIRECT_URI,
        "state": "bye",
    }
    page = http.get(f"{provider['end_session_endpoint']}?{urlencode(query)}", allow_redirects=False, timeout=10)
    assert page.status_code == 200
    assert "“公安局户籍业务系统”请求退出您在本平台的登录" in page.text
    fields = fx.hidden_fields(page.text) | {"allow": "true"}
    response = http.post(page.url, data=fields, allow_redirects=False, timeout=10)
    assert response.headers["Location"] == f"{fx.LOGOUT_REDIRECT_URI}?state=bye"
    assert not AccessToken.objects.filter(user=user).exists()
    again = http.get(provider["authorization_endpoint"], allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "next=" in again.headers["Location"]  # signed out: sent to sign in

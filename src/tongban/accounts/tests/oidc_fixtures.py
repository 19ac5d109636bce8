"""Builders for the single sign-on tests: accounts, registered clients, a signed-in HTTP session, PKCE values."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html import unescape

import requests
from django.conf import settings
from django.test import Client
from oauth2_provider.models import Application

from tongban.accounts import services
from tongban.accounts.models import RealNameLevel, StaffRole, User, UserKind
from tongban.accounts.oidc import oidc_client_register
from tongban.core.models import Organisation, Region
from tongban.demo.identifiers import credit_code, resident_id

REDIRECT_URI = "http://127.0.0.1:8765/callback"
LOGOUT_REDIRECT_URI = "http://127.0.0.1:8765/signed-out"
HUKOU_SECRET = "hukou-secret-for-tests-0123456789"
PORTAL_SECRET = "portal-secret-for-tests-0123456789"
MACHINE_SECRET = "machine-secret-for-tests-0123456789"
LI_ID = resident_id("330122", "19910520", 5, female=False)
POLICE_USCC = credit_code("11", "330122", "00250005")


def person() -> User:
    """李建国: verified online (L2), with a phone number and an ID number."""
    user = services.user_create(
        actor=None,
        kind=UserKind.PERSON,
        username="13805710003",
        display_name="李老板",
        phone="13805710003",
        id_number=LI_ID,
        real_name_level=RealNameLevel.L2,
    )
    User.objects.filter(pk=user.pk).update(real_name="李建国")
    user.refresh_from_db()
    return user


def staff_member() -> User:
    """A reviewer at the county public security bureau."""
    region = Region.objects.create(code="330122", name="桐庐县", level=3)
    police = Organisation.objects.create(name="桐庐县公安局", uscc=POLICE_USCC, kind="department", region=region)
    user = services.user_create(actor=None, kind=UserKind.STAFF, username="reviewer_ma", display_name="马警官")
    services.staff_role_grant(actor=None, user=user, organisation=police, role=StaffRole.REVIEWER)
    return user


def hukou_client() -> Application:
    """公安局户籍业务系统: a confidential department system that asks for consent."""
    application, _secret = oidc_client_register(
        actor=None,
        name="公安局户籍业务系统",
        grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        post_logout_redirect_uris=LOGOUT_REDIRECT_URI,
        client_id="hukou",
        client_secret=HUKOU_SECRET,
    )
    return application


def portal_client() -> Application:
    """A first-party system of the platform itself: no consent page."""
    application, _secret = oidc_client_register(
        actor=None,
        name="通办移动端",
        grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        skip_authorization=True,
        client_id="portal",
        client_secret=PORTAL_SECRET,
    )
    return application


def machine_client() -> Application:
    """A department's back-end that reads verified identities (client credentials)."""
    application, _secret = oidc_client_register(
        actor=None,
        name="民政局救助审核系统",
        grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_id="civil-batch",
        client_secret=MACHINE_SECRET,
    )
    return application


def signed_in_session(user: User) -> requests.Session:
    """A requests session carrying a platform session cookie for `user` (as if they had signed in)."""
    client = Client()
    client.force_login(user)
    http = requests.Session()
    http.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return http


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the page's forms (the consent form carries the authorization request in them)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields

"""Single sign-on (统一身份认证): the platform as an OpenID Connect provider, on django-oauth-toolkit (DOT).

- Scopes: what a client may ask for depends on how it signs in. Department systems that sign people in
  (authorization code + PKCE) ask for the identity scopes below; machine clients (client credentials) ask for API
  scopes such as ``identity:read``. Neither kind can obtain the other's scopes.
- Claims: ``sub`` is ``User.subject_id``, a random UUID (never the database id); every other claim needs its scope,
  and the consent page says in Chinese what each scope reveals. The full phone number is released only with the
  ``phone`` scope, which a person must consent to (or a first-party client must be registered for).
- PKCE: S256 only. oauthlib also implements "plain" (where the verifier travels as the challenge); the server class
  here removes it, so a request with ``code_challenge_method=plain`` (or with none, which means plain) is refused
  with the OAuth error ``invalid_request`` at the authorization endpoint and at the token endpoint.
- Writes (client registration, consent decisions) are audited services like every other write.

See docs/decisions/0006-openid-connect-provider.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import Application
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server as OpenIDServer

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import StaffAssignment, StaffRole, User, UserKind
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.pii import mask_id_number

# Scopes a department system may ask a person for (authorization code flow).
IDENTITY_SCOPES = ("openid", "profile", "phone", "realname", "staff", "cases")
# Scopes a machine client may hold (client credentials flow).
API_SCOPES = ("identity:read",)


@dataclass(frozen=True)
class ScopeDisclosure:
    """What granting one scope tells the client, as the consent page shows it (授权范围说明)."""

    scope: str
    title: str
    reveals: str


SCOPE_DISCLOSURES = {
    "openid": ScopeDisclosure(
        "openid", _("确认您的统一身份"), _("一个不含个人信息的固定编号，该系统用它识别您，不会得到您的账号名或证件号码")
    ),
    "profile": ScopeDisclosure("profile", _("姓名"), _("您的姓名；完成实名核验后为核验过的姓名")),
    "phone": ScopeDisclosure("phone", _("手机号码"), _("您完整的手机号码，该系统可以用它联系您")),
    "realname": ScopeDisclosure(
        "realname",
        _("实名等级"),
        _("您的实名核验等级（L1 手机号注册、L2 在线核验、L3 现场核验）和隐去中间位数的证件号码"),
    ),
    "staff": ScopeDisclosure("staff", _("工作人员身份"), _("您所在的机构和岗位角色（仅工作人员账号）")),
    "cases": ScopeDisclosure(
        "cases",
        _("代您办事"),
        _("以您的名义上传申请材料、提交办事申请，并查看您的办件进度和文书；不能代您撤回申请"),
    ),
}

# Which scope releases each claim (DOT reads this name); the discovery document lists these claims.
CLAIM_SCOPE = {
    "sub": "openid",
    "name": "profile",
    "phone_number": "phone",
    "real_name_level": "realname",
    "id_number_masked": "realname",
    "organisation": "staff",
    "roles": "staff",
}


def disclosures_for(scopes: Iterable[str]) -> list[ScopeDisclosure]:
    """The consent page's lines for the requested scopes, in the order they are listed above."""
    requested = set(scopes)
    return [disclosure for scope, disclosure in SCOPE_DISCLOSURES.items() if scope in requested]


def is_machine_client(application: Application) -> bool:
    return application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS


# ---------------------------------------------------------------------------------------------------------------
# Claims


def user_claims(user: User, scopes: Iterable[str]) -> dict:
    """The claims about `user` that the granted `scopes` release (ID token and userinfo alike)."""
    granted = set(scopes)
    claims: dict = {"sub": str(user.subject_id)}
    if "profile" in granted and (user.real_name or user.display_name):
        claims["name"] = user.real_name or user.display_name
    if "phone" in granted and user.phone:
        claims["phone_number"] = f"+86{user.phone}"  # E.164, as OpenID Connect recommends
    if "realname" in granted:
        claims["real_name_level"] = user.real_name_level
        if user.kind == UserKind.PERSON and user.id_number:
            claims["id_number_masked"] = mask_id_number(user.id_number)
    if "staff" in granted:
        claims.update(staff_claims(user))
    return claims


def staff_claims(user: User) -> dict:
    """`organisation` (of the first role granted) and `roles` (every role, each in its organisation) of staff.

    Nothing for other accounts, or for staff accounts that are disabled, as the access functions treat them.
    """
    if user.kind != UserKind.STAFF or not user.is_active:
        return {}
    assignments = list(
        StaffAssignment.objects.filter(user=user).select_related("organisation__region").order_by("created_at", "id")
    )
    if not assignments:
        return {}
    roles = [
        {
            "role": assignment.role,
            "role_name": str(StaffRole(assignment.role).label),
            "organisation": assignment.organisation.uscc,
            "organisation_name": assignment.organisation.name,
            "covers_region_subtree": assignment.covers_region_subtree,
        }
        for assignment in assignments
    ]
    first = assignments[0].organisation
    organisation = {"uscc": first.uscc, "name": first.name, "region_code": first.region.code}
    return {"organisation": organisation, "roles": roles}


def identity_view(user: User) -> dict:
    """The verified identity a machine client with `identity:read` may read about an account."""
    view = {
        "sub": str(user.subject_id),
        "kind": user.kind,
        "name": user.real_name or user.display_name,
        "real_name_level": user.real_name_level,
        "real_name_verified_at": user.real_name_verified_at,
        "id_number_masked": "",
    }
    if user.kind == UserKind.PERSON and user.id_number:
        view["id_number_masked"] = mask_id_number(user.id_number)
    if user.kind == UserKind.ENTERPRISE:
        view["id_number_masked"] = user.id_number  # a credit code is public registration data, not personal data
    return view


def access_user_by_subject(sub: str) -> User:
    """The active account a `sub` names, or IDENTITY_NOT_FOUND (also for anything that is not a UUID)."""
    try:
        subject = uuid.UUID(sub)
    except ValueError:
        raise DomainError(AccountsError.IDENTITY_NOT_FOUND) from None
    user = User.objects.filter(subject_id=subject, is_active=True).first()
    if user is None:
        raise DomainError(AccountsError.IDENTITY_NOT_FOUND)
    return user


# ---------------------------------------------------------------------------------------------------------------
# DOT and oauthlib plug-ins (named in settings.OAUTH2_PROVIDER)


class TongbanScopes(BaseScopes):
    """Scopes by kind of client: identity scopes for sign-in clients, API scopes for machine clients."""

    def get_all_scopes(self) -> dict:
        return dict(settings.OAUTH2_PROVIDER["SCOPES"])

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if application is None:
            return list(self.get_all_scopes())  # the discovery document lists every scope
        return list(API_SCOPES if is_machine_client(application) else IDENTITY_SCOPES)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        if application is not None and is_machine_client(application):
            return list(API_SCOPES)
        return ["openid"]


class TongbanOAuth2Validator(OAuth2Validator):
    """DOT's validator with the platform's claims: a random `sub` and claims released scope by scope."""

    oidc_claim_scope = CLAIM_SCOPE

    def get_oidc_claims(self, token, token_handler, request) -> dict:
        return user_claims(request.user, request.scopes)

    def get_discovery_claims(self, request) -> list[str]:
        return list(CLAIM_SCOPE)


class S256OnlyServer(OpenIDServer):
    """oauthlib's OpenID Connect server without the "plain" PKCE method (RFC 9700 §2.1.1).

    oauthlib checks `code_challenge_method` against each grant's `_code_challenge_methods` both when the person
    is sent to authorize and when the code is exchanged; a method missing from that table is refused there with
    `invalid_request` ("Transform algorithm not supported"). A request without a method means "plain" (RFC 7636
    §4.3) and is refused the same way.
    """

    CODE_CHALLENGE_METHODS = {"S256": code_challenge_method_s256}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for grant in (self.auth_grant, self.openid_connect_auth, self.openid_connect_hybrid):
            target = getattr(grant, "proxy_target", grant)
            target._code_challenge_methods = dict(self.CODE_CHALLENGE_METHODS)


# ---------------------------------------------------------------------------------------------------------------
# Writes


def client_view(application: Application) -> dict:
    """What the audit log keeps of a client registration (never its secret)."""
    return {
        "client_id": application.client_id,
        "name": application.name,
        "client_type": application.client_type,
        "grant_type": application.authorization_grant_type,
        "redirect_uris": application.redirect_uris,
        "post_logout_redirect_uris": application.post_logout_redirect_uris,
        "skip_authorization": application.skip_authorization,
        "algorithm": application.algorithm,
    }


@transaction.atomic
def oidc_client_register(
    *,
    actor: User | None,
    name: str,
    grant_type: str,
    client_type: str = Application.CLIENT_CONFIDENTIAL,
    redirect_uris: str = "",
    post_logout_redirect_uris: str = "",
    skip_authorization: bool = False,
    client_id: str = "",
    client_secret: str = "",
) -> tuple[Application, str]:
    """Register a department system as a client; returns it with its secret in plain text (stored only hashed).

    Sign-in clients (authorization code) get RS256 ID tokens and need at least one redirect URI; machine clients
    (client credentials) must be confidential and have none.
    """
    if grant_type not in (Application.GRANT_AUTHORIZATION_CODE, Application.GRANT_CLIENT_CREDENTIALS):
        raise DomainError(
            AccountsError.OIDC_CLIENT_INVALID, fields={"grant_type": [_("只支持授权码模式和客户端凭证模式")]}
        )
    machine = grant_type == Application.GRANT_CLIENT_CREDENTIALS
    if machine and (redirect_uris or client_type != Application.CLIENT_CONFIDENTIAL):
        raise DomainError(AccountsError.OIDC_CLIENT_INVALID, _("系统间调用的客户端必须是机密客户端，且不登记回调地址"))
    if not machine and not redirect_uris.split():
        raise DomainError(AccountsError.OIDC_CLIENT_INVALID, fields={"redirect_uris": [_("请至少登记一个回调地址")]})
    plain_secret = client_secret or generate_client_secret()
    application = Application(
        name=name,
        client_id=client_id or generate_client_id(),
        client_secret=plain_secret,
        client_type=client_type,
        authorization_grant_type=grant_type,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        skip_authorization=skip_authorization,
        algorithm="" if machine else Application.RS256_ALGORITHM,
    )
    _checked(application)
    application.save()
    audit.record(actor=actor, action="oidc_client.register", obj=application, after=client_view(application))
    return application, plain_secret


def _checked(application: Application) -> None:
    from django.core.exceptions import ValidationError

    try:
        application.full_clean(exclude=["client_secret"])
    except ValidationError as exc:
        fields = {name: [str(message) for message in messages] for name, messages in exc.message_dict.items()}
        raise DomainError(AccountsError.OIDC_CLIENT_INVALID, fields=fields) from None


@transaction.atomic
def oidc_consent_record(*, actor: User, application: Application, scopes: Iterable[str], allowed: bool) -> None:
    """Audit a person's answer on the consent page: which system asked for what, and whether they agreed."""
    audit.record(
        actor=actor,
        action="oidc.consent_allow" if allowed else "oidc.consent_deny",
        obj=application,
        after={"client_id": application.client_id, "scopes": sorted(set(scopes))},
    )

"""/api/v1/identity/: verified identity for department systems (bearer tokens from the platform's OAuth server).

- GET /identity/me: the person a user access token was issued for (scope openid; more claims with more scopes).
- GET /identity/users/{sub}: a machine client holding `identity:read` reads the verified identity behind a `sub`
  it received at sign-in: name, real-name level, masked ID number. Never the full ID number or phone number.
"""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from tongban.accounts.api_auth import TokenAuth
from tongban.accounts.oidc import access_user_by_subject, identity_view, user_claims

router = Router(tags=["统一身份认证"])


class IdentityOut(Schema):
    sub: str
    kind: str
    name: str
    real_name_level: int
    real_name_verified_at: dt.datetime | None
    id_number_masked: str


class ErrorOut(Schema):
    code: str
    message: str
    request_id: str = ""


@router.get(
    "/me",
    auth=TokenAuth("openid", person=True),
    response={200: dict, 401: ErrorOut, 403: ErrorOut},
    summary="当前用户的身份声明",
    description="与 OpenID Connect userinfo 相同的声明：随令牌获准的范围（profile、phone、realname、staff）而增减。",
)
def identity_me(request):
    return user_claims(request.auth.user, request.auth.scopes)


@router.get(
    "/users/{sub}",
    auth=TokenAuth("identity:read"),
    response={200: IdentityOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="按统一身份标识查询已核验身份",
    description="需要客户端凭证令牌，且具有 identity:read 范围。返回姓名、实名等级和隐去中间位数的证件号码。",
)
def identity_user(request, sub: str):
    return identity_view(access_user_by_subject(sub))

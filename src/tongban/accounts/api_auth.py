"""Bearer access tokens for /api/v1/: issued by the platform's own OAuth server (DOT) to machine clients (client
credentials) and to department systems acting for a signed-in person (authorization code).

Every call made with a valid token is audited with the client id: a machine client is recorded as the actor label
"client:<client_id>" (it is not an account); a person's token records the person as actor and the client in `after`.
A call whose token lacks the operation's scope is audited as denied and answered 403; a missing, unknown or expired
token is answered 401. Errors use the platform's error body (core.errors).
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone
from ninja.security import HttpBearer
from oauth2_provider.models import AccessToken

from tongban.accounts.errors import AccountsError
from tongban.core import audit
from tongban.core.errors import DomainError


class TokenAuth(HttpBearer):
    """Require a live access token holding every one of `scopes`; `person` also requires a person's token.

    Sets request.api_client (the DOT Application) and request.auth (the AccessToken).
    """

    def __init__(self, *scopes: str, person: bool = False):
        super().__init__()
        self.scopes = list(scopes)
        self.person = person

    def __call__(self, request):
        header = request.headers.get(self.header, "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise DomainError(AccountsError.API_TOKEN_MISSING)
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token: str) -> AccessToken:
        access_token = token_load(token)
        request.api_client = access_token.application
        allowed = access_token.allow_scopes(self.scopes) and (access_token.user_id is not None or not self.person)
        api_call_record(request, access_token, allowed=allowed)
        if not allowed:
            raise DomainError(AccountsError.API_SCOPE_MISSING)
        return access_token


def token_load(token: str) -> AccessToken:
    """The live access token `token` is, or API_TOKEN_INVALID (unknown, expired, revoked or of a deleted client)."""
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    access_token = AccessToken.objects.select_related("application", "user").filter(token_checksum=checksum).first()
    if access_token is None or access_token.application is None:
        raise DomainError(AccountsError.API_TOKEN_INVALID)
    if access_token.expires <= timezone.now():
        raise DomainError(AccountsError.API_TOKEN_INVALID)
    if access_token.user is not None and not access_token.user.is_active:
        raise DomainError(AccountsError.API_TOKEN_INVALID)
    return access_token


def route_of(request) -> str:
    """The route pattern of the request ("/api/v1/identity/users/<sub>"), so the action names the operation."""
    match = request.resolver_match
    return f"/{match.route}" if match is not None else request.path


@transaction.atomic
def api_call_record(request, access_token: AccessToken, *, allowed: bool) -> None:
    """Audit one API call made with an access token (a read, but the log must show which system read what)."""
    client_id = access_token.application.client_id
    person = access_token.user
    audit.record(
        actor=person,
        actor_label="" if person is not None else f"client:{client_id}",
        action=f"api.{request.method} {route_of(request)}",
        object_type="oauth2_provider.application",
        object_id=str(access_token.application_id),
        object_repr=access_token.application.name,
        after={
            "client_id": client_id,
            "path": request.path,
            "scope": access_token.scope,
            "outcome": "allowed" if allowed else "denied: scope",
        },
    )

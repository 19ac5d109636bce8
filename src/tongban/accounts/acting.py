"""Acting for an enterprise ("以企业身份办事"): the session remembers which enterprise, re-checked on every request.

A person switches with `acting_switch(request, enterprise_id)` and back with `acting_switch_back(request)`. The
session keeps only the enterprise id; `ActingForMiddleware` (after authentication and messages in MIDDLEWARE) looks
the identity up again on each request, so an authorisation revoked or expired a minute ago stops working at once:
the identity is dropped and the person is told why. While it holds, `request.acting_for` is the enterprise account,
`request.acting_identity` the ActingIdentity, and core.middleware's acting-for context makes audit.record write the
enterprise beside the person on every entry.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.utils.translation import gettext as _

from tongban.accounts.enterprises import ActingIdentity, acting_identity_for
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import User
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.middleware import reset_acting_for, set_acting_for

SESSION_KEY = "tongban_acting_for"


def acting_switch(request, enterprise_id: int) -> ActingIdentity:
    """Switch the signed-in person to the enterprise identity (audited), or raise ACTING_NOT_ALLOWED."""
    identity = acting_identity_for(request.user, enterprise_id)
    if identity is None:
        raise DomainError(AccountsError.ACTING_NOT_ALLOWED)
    with transaction.atomic():
        audit.record(
            actor=request.user,
            action="identity.switch",
            obj=identity.enterprise,
            acting_for=identity.enterprise,
            after={"enterprise": identity.enterprise.pk, "role": identity.role},
        )
    request.session[SESSION_KEY] = identity.enterprise.pk
    _apply(request, identity)
    return identity


def acting_switch_back(request) -> None:
    """Back to the personal identity (个人身份); audited when an enterprise identity was held."""
    previous = getattr(request, "acting_for", None)
    request.session.pop(SESSION_KEY, None)
    _apply(request, None)
    if previous is not None:
        with transaction.atomic():
            audit.record(
                actor=request.user,
                action="identity.switch_back",
                obj=previous,
                acting_for=None,
                after={"enterprise": previous.pk},
            )


def _apply(request, identity: ActingIdentity | None) -> None:
    # The audit context changes from the next request on (the switch views redirect): the middleware owns it.
    request.acting_identity = identity
    request.acting_for = identity.enterprise if identity else None


class ActingForMiddleware:
    """Set request.acting_for on every request from the session, after checking the identity is still live."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        identity = self._current_identity(request)
        request.acting_identity = identity
        request.acting_for = identity.enterprise if identity else None
        token = set_acting_for(request.acting_for)
        try:
            return self.get_response(request)
        finally:
            reset_acting_for(token)

    def _current_identity(self, request) -> ActingIdentity | None:
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return None
        enterprise_id = session.get(SESSION_KEY)
        identity = acting_identity_for(request.user, enterprise_id) if isinstance(enterprise_id, int) else None
        if identity is None:
            session.pop(SESSION_KEY, None)
            self._tell_dropped(request, enterprise_id)
        return identity

    def _tell_dropped(self, request, enterprise_id) -> None:
        if not getattr(request.user, "is_authenticated", False):
            return  # signed out: the session is being emptied anyway
        enterprise = User.objects.filter(pk=enterprise_id).first() if isinstance(enterprise_id, int) else None
        name = str(enterprise) if enterprise else _("该企业")
        messages.warning(
            request,
            _("您以“%(name)s”身份办事的授权已失效（已过期、被撤销或不再是法定代表人），已切换回个人身份。")
            % {"name": name},
        )

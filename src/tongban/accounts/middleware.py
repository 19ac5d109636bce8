"""Keeps each signed-in browser's UserSession honest: ended sessions are signed out, last activity is recorded."""

from __future__ import annotations

from tongban.accounts.signin import session_touch


class UserSessionMiddleware:
    """After AuthenticationMiddleware. At most once per SESSION_CHECK_INTERVAL (5 minutes) per session (one indexed
    read, one update), so most requests cost nothing; a request with no session cookie does not even load the
    user. Revoking a session also deletes it from the session store, which signs the browser out at once; this
    check is the backstop for stores that cannot delete (signed cookies) and feeds 最近活动."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.session_key and request.user.is_authenticated:
            session_touch(request)
        return self.get_response(request)

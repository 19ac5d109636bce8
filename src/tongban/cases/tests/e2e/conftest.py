"""Browser fixtures for the cases journeys: the same ones core's journeys use (one shared browser per session), and
the two helpers every cases journey needs (import them: `from tongban.cases.tests.e2e.conftest import …`)."""

from django.conf import settings
from django.test import Client

from tongban.accounts.models import UserKind
from tongban.core.tests.e2e.conftest import (  # noqa: F401 — fixtures and the hook that runs journeys last
    DESKTOP,
    browser,
    open_page,
    pytest_collection_modifyitems,
)


def serious(violations: list[str]) -> list[str]:
    """The axe violations of serious or critical impact (the ones the issue forbids)."""
    return [v for v in violations if "(serious)" in v or "(critical)" in v]


def signed_in_page(open_page, live_server, user, **options):  # noqa: F811 — open_page is the fixture's value
    """A browser signed in as `user` (the session a sign-in leaves; staff have passed the second factor too)."""
    client = Client()
    client.force_login(user)
    if user.kind == UserKind.STAFF:
        session = client.session
        session["second_factor_verified"] = True
        session.save()
    options.setdefault("viewport", DESKTOP)
    page = open_page(**options)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.session.session_key, "url": live_server.url}]
    )
    return page

"""Pages of the foundation: display preferences, health probes and the error pages (home: catalog/views_portal.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tongban.core.templatetags.shell import PREFERENCE_COOKIES

PREFERENCE_MAX_AGE = 365 * 24 * 3600


def see_other(url: str) -> HttpResponseRedirect:
    """The answer to a successful form POST: 303 See Other, so reloading the next page never re-posts the form."""
    return HttpResponseRedirect(url, status=303)


@require_POST
def display_preferences_update(request):
    """The toolbar without JavaScript: store the chosen 字号/关怀模式/配色 in cookies and go back to the page."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = "/"
    response = HttpResponseRedirect(next_url, status=303)
    for name, allowed in PREFERENCE_COOKIES.items():
        value = request.POST.get(name.removeprefix("tb_"))
        if value in allowed:
            # Not HttpOnly: the toolbar script writes the same cookies so a choice applies without a reload.
            response.set_cookie(
                name, value, max_age=PREFERENCE_MAX_AGE, samesite="Lax", secure=request.is_secure(), httponly=False
            )
    return response


@never_cache
def healthz(request):
    """Liveness plus database: 200 when a query answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
def readyz(request):
    """Ready to take traffic: database reachable and every migration applied."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    if pending:
        return JsonResponse({"status": "migrating", "pending_migrations": len(pending)}, status=503)
    return JsonResponse({"status": "ready"})


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a stale form (page left open overnight, cookies cleared) gets plain words."""
    message = _("页面已过期。请返回上一页，刷新后再提交一次。")
    return render(request, "403.html", {"error_message": message, "back_url": ""}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    """Rendered without the request so no context processor runs: it must work when the database is down."""
    context = {"platform_name": settings.TONGBAN_PLATFORM_NAME, "request_id": getattr(request, "request_id", "")}
    return HttpResponseServerError(loader.render_to_string("500.html", context))

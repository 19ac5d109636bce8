"""The admin site (管理后台): system administrators only, signed in through the platform with the second factor.

Django's own admin sign-in form would check a password and nothing else, so it is not used: /admin/login/ sends
people to the platform's sign-in page (password, then the dynamic code). Someone signed in who may not use the
admin (a clerk, or a session without the second factor) gets the Chinese 403 page instead of a sign-in loop.

Model permissions inside the admin still come from Django's permission system: the demo administrator is a
superuser; a SYSTEM_ADMIN who is not one sees the models their groups allow.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# This module is imported while INSTALLED_APPS load, before models are ready: the account modules are imported in
# the methods.


class TongbanAdminSite(admin.AdminSite):
    """The platform's admin site: SYSTEM_ADMIN (or superuser) with a verified second factor in this session."""

    def has_permission(self, request) -> bool:
        from tongban.accounts.access import is_system_admin
        from tongban.accounts.views_staff import second_factor_verified

        if not second_factor_verified(request):
            return False
        return is_system_admin(request.user)

    def login(self, request, extra_context=None):
        """Never a password form here: the platform sign-in (with the second factor) or a 403."""
        from tongban.accounts.errors import AccountsError
        from tongban.accounts.views_staff import sign_in_url
        from tongban.core.errors import DomainError

        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect(sign_in_url(next_url))
        if self.has_permission(request):
            return redirect(next_url)
        raise DomainError(AccountsError.ADMIN_REQUIRES_SECOND_FACTOR)

    def logout(self, request, extra_context=None):
        """The admin's 注销 ends the platform session too (its UserSession row), as the platform's 退出 does."""
        from django.http import HttpResponseNotAllowed

        from tongban.accounts import signin

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        signin.sign_out(request)
        return redirect(reverse("home"))


class TongbanAdminConfig(AdminConfig):
    """Installs TongbanAdminSite as django.contrib.admin's default site (settings.INSTALLED_APPS)."""

    default_site = "tongban.accounts.admin_site.TongbanAdminSite"

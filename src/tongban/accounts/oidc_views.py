"""Pages of the OpenID Connect provider: DOT's consent and logout views with the platform's Chinese pages
(templates/accounts/sso/; DOT's own English templates would win an app-directory lookup, so the names differ)."""

from __future__ import annotations

from oauth2_provider.models import Application
from oauth2_provider.views import AuthorizationView, RPInitiatedLogoutView

from tongban.accounts.oidc import disclosures_for, oidc_consent_record


class ConsentView(AuthorizationView):
    """授权确认: a signed-in person agrees (同意) or refuses (拒绝) to let a department system know the listed facts.

    First-party clients (Application.skip_authorization) never reach the page; DOT redirects them straight back.
    """

    template_name = "accounts/sso/authorize.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["disclosures"] = disclosures_for(kwargs.get("scopes") or self.oauth2_data.get("scopes", []))
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        application = Application.objects.filter(client_id=form.cleaned_data["client_id"]).first()
        if application is not None:
            oidc_consent_record(
                actor=self.request.user,
                application=application,
                scopes=form.cleaned_data.get("scope", "").split(),
                allowed=bool(form.cleaned_data.get("allow")),
            )
        return response


class LogoutView(RPInitiatedLogoutView):
    """退出统一身份认证: a department system asks the platform to end the person's session (RP-initiated logout)."""

    template_name = "accounts/sso/logout_confirm.html"

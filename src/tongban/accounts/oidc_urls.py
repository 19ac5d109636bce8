"""Endpoints of the OpenID Connect provider, in DOT's "oauth2_provider" namespace (DOT reverses these names).

The protocol endpoints live under /o/; the two discovery documents live at the site root, because the issuer is the
site root (https://host, the URL department systems configure) and discovery is issuer + /.well-known/... .
DOT's self-service application pages and dynamic registration are not mounted: administrators register clients.
"""

from django.urls import path, re_path
from oauth2_provider import views

from tongban.accounts.oidc_views import ConsentView, LogoutView

app_name = "oauth2_provider"

urlpatterns = [
    path("o/authorize/", ConsentView.as_view(), name="authorize"),
    path("o/token/", views.TokenView.as_view(), name="token"),
    path("o/revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("o/userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path("o/logout/", LogoutView.as_view(), name="rp-initiated-logout"),
    path("o/.well-known/jwks.json", views.JwksInfoView.as_view(), name="jwks-info"),
    re_path(
        r"^\.well-known/openid-configuration$",
        views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(
        ".well-known/oauth-authorization-server",
        views.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
]

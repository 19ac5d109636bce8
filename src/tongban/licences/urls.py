"""Licence pages, mounted at /licences/: verification by identifier, PDF upload, data package (views.py); the
holder's wallet and grants to view a licence (urls_wallet.py)."""

from django.urls import path

from tongban.licences import urls_wallet, views

app_name = "licences"

urlpatterns = [
    path("verify/", views.verify_upload, name="verify_upload"),
    path("verify/<str:identifier>/", views.verify, name="verify"),
    path("verify/<str:identifier>/package/", views.package, name="package"),
    *urls_wallet.urlpatterns,  # 我的证照 and 用证授权 (views_wallet.py)
]

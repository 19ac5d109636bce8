"""我的证照 and 用证授权 pages (licences/views_wallet.py), added to the licences URLs (namespace "licences")."""

from django.urls import path

from tongban.licences import views_wallet as views

urlpatterns = [
    path("mine/", views.wallet_list, name="wallet"),
    path("mine/<str:identifier>/", views.wallet_detail, name="wallet_detail"),
    path("mine/<str:identifier>/pdf/", views.wallet_pdf, name="wallet_pdf"),
    path("mine/<str:identifier>/package/", views.wallet_package, name="wallet_package"),
    path("mine/<str:identifier>/shares/new/", views.share_new, name="share_new"),
    path("mine/<str:identifier>/shares/<uuid:share_id>/", views.share_detail, name="share_detail"),
    path("mine/<str:identifier>/shares/<uuid:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("s/<str:token>/", views.shared_link, name="shared_link"),
    path("s/<str:token>/pdf/", views.shared_link_pdf, name="shared_link_pdf"),
    path("shared-with-us/", views.shared_with_us, name="shared_with_us"),
    path("shared-with-us/<uuid:share_id>/", views.shared_for_staff, name="shared_for_staff"),
    path("shared-with-us/<uuid:share_id>/pdf/", views.shared_for_staff_pdf, name="shared_for_staff_pdf"),
]

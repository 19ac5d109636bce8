"""Public licence pages (证照核验), mounted at /licences/: verification by identifier, PDF upload, data package."""

from django.urls import path

from tongban.licences import views

app_name = "licences"

urlpatterns = [
    path("verify/", views.verify_upload, name="verify_upload"),
    path("verify/<str:identifier>/", views.verify, name="verify"),
    path("verify/<str:identifier>/package/", views.package, name="package"),
]

"""The issuing organisation's licence pages (证照管理), mounted at /workbench/licences/ (views_staff.py)."""

from django.urls import path

from tongban.licences import views_staff

app_name = "licences-staff"

urlpatterns = [
    path("", views_staff.licence_list, name="list"),
    path("import/", views_staff.licence_import, name="import"),
    path("import/template/<str:code>.csv", views_staff.import_template, name="import_template"),
    path("<str:identifier>/", views_staff.licence_detail, name="detail"),
    path("<str:identifier>/change/", views_staff.licence_change, name="change"),
    path("<str:identifier>/revoke/", views_staff.licence_revoke, name="revoke"),
]

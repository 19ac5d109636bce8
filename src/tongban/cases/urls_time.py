"""Special procedures and extensions of a case under review, mounted at /workbench/review/cases/<number>/time/
(views_time.py)."""

from django.urls import path

from tongban.cases import views_time

app_name = "cases-time"

urlpatterns = [
    path("", views_time.time_page, name="page"),
    path("special/start/", views_time.special_start, name="special_start"),
    path("special/end/", views_time.special_end, name="special_end"),
    path("extensions/", views_time.extension_request, name="extension_request"),
    path("extensions/<int:extension_id>/decide/", views_time.extension_decide, name="extension_decide"),
]

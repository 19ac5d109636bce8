"""Bundle pages (cases/views_bundles.py): the applicant's, mounted at /cases/bundles/ (namespace "cases-bundles"),
and the staff list, mounted at /workbench/bundles/ with `workbench_patterns` (namespace "bundles-workbench")."""

from django.urls import path

from tongban.cases import views_bundles

app_name = "cases-bundles"

urlpatterns = [
    path("", views_bundles.index, name="index"),
    path("submit/", views_bundles.submit, name="submit"),
    path("apply/<slug:code>/", views_bundles.start, name="start"),
    path("<uuid:public_id>/", views_bundles.detail, name="detail"),
    path("<uuid:public_id>/draft/", views_bundles.resume, name="resume"),
    path("<uuid:public_id>/page/<int:number>/", views_bundles.page, name="page"),
    path("<uuid:public_id>/materials/", views_bundles.materials, name="materials"),
    path("<uuid:public_id>/check/", views_bundles.check, name="check"),
]

workbench_patterns = ([path("", views_bundles.workbench_list, name="list")], "bundles-workbench")

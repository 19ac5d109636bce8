"""Online application pages (cases/views_apply.py), mounted at /cases/apply/ (namespace "cases-apply")."""

from django.urls import path

from tongban.cases import views_apply

app_name = "cases-apply"

urlpatterns = [
    path("submit/", views_apply.submit, name="submit"),
    path("done/<uuid:public_id>/", views_apply.confirmation, name="confirmation"),
    path("draft/<uuid:public_id>/", views_apply.resume, name="draft"),
    path("draft/<uuid:public_id>/page/<int:number>/", views_apply.page, name="page"),
    path("draft/<uuid:public_id>/materials/", views_apply.materials, name="materials"),
    path("draft/<uuid:public_id>/check/", views_apply.check, name="check"),
    path("draft/<uuid:public_id>/saved/", views_apply.saved, name="saved"),
    path("draft/<uuid:public_id>/restart/", views_apply.restart, name="restart"),
    path("<str:code>/", views_apply.start, name="start"),
]

"""The review workbench (审查与决定), mounted at /workbench/review/ (views_review.py)."""

from django.urls import path

from tongban.cases import views_review

app_name = "cases-review"

_CASE = "cases/<str:number>/"

urlpatterns = [
    path("", views_review.worklist, name="worklist"),
    path("supervision/", views_review.supervision, name="supervision"),
    path(_CASE, views_review.case_page, name="case"),
    path(_CASE + "tasks/<int:task_id>/<slug:action>/", views_review.task_action, name="task_action"),
    path(_CASE + "files/<int:case_material_id>/", views_review.case_file, name="file"),
    path(_CASE + "documents/<int:document_id>/", views_review.case_document, name="document"),
]

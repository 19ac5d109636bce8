"""Progress pages (办件进度), mounted at /cases/: 我的办件, case detail, documents, withdrawal, supplement, lookup."""

from django.urls import path

from tongban.cases import views_decision, views_progress

app_name = "cases"

urlpatterns = [
    path("mine/", views_progress.my_cases, name="mine"),
    path("mine/<uuid:public_id>/", views_progress.case_detail, name="detail"),
    path("mine/<uuid:public_id>/documents/<int:document_id>/", views_progress.case_document, name="document"),
    path("mine/<uuid:public_id>/withdraw/", views_progress.case_withdraw, name="withdraw"),
    path("mine/<uuid:public_id>/supplement/", views_progress.case_supplement, name="supplement"),
    path("mine/<uuid:public_id>/retract/", views_decision.case_retract, name="retract"),  # 撤回 after acceptance
    path("mine/<uuid:public_id>/deferred/", views_decision.case_deferred, name="deferred"),  # 补交容缺材料
    path("lookup/", views_progress.lookup, name="lookup"),
]

"""Decision pages of the review workbench, mounted at /workbench/review/cases/<number>/decision/ (views_decision.py):
delivery (送达) and revocation (撤销). The applicant's 撤回 and 容缺 pages are in urls_progress.py."""

from django.urls import path

from tongban.cases import views_decision

app_name = "cases-decision"

urlpatterns = [
    path("", views_decision.decision_page, name="page"),
    path("delivery/arrange/", views_decision.delivery_arrange, name="arrange"),
    path("delivery/record/", views_decision.delivery_record, name="record"),
    path("revoke/", views_decision.case_revoke, name="revoke"),
]

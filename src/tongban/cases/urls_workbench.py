"""Pre-review workbench and counter pages (预审受理、一窗受理), mounted at /workbench/cases/."""

from django.urls import path

from tongban.cases import views_counter, views_workbench

app_name = "cases-workbench"

_CASE = "<str:number>/"
_COUNTER = "counter/<uuid:public_id>/"

urlpatterns = [
    path("", views_workbench.worklist, name="worklist"),
    # The counter (一窗受理, views_counter.py); before the case pages so "counter/" is never read as a case number.
    path("counter/", views_counter.counter_home, name="counter_home"),
    path("counter/items/", views_counter.counter_items, name="counter_items"),
    path("counter/items/<int:item_id>/applicant/", views_counter.counter_walk_in, name="counter_walk_in"),
    path(_COUNTER + "form/", views_counter.counter_form, name="counter_form"),
    path(_COUNTER + "materials/", views_counter.counter_materials, name="counter_materials"),
    path(_COUNTER + "submit/", views_counter.counter_submit, name="counter_submit"),
    path(_COUNTER + "receipt/", views_counter.counter_receipt, name="counter_receipt"),
    path(_COUNTER + "documents/<int:document_id>/", views_counter.counter_document, name="counter_document"),
    # Pre-review of one case (views_workbench.py)
    path(_CASE, views_workbench.case_page, name="case"),
    path(_CASE + "accept/", views_workbench.case_accept, name="accept"),
    path(_CASE + "refuse/", views_workbench.case_refuse, name="refuse"),
    path(_CASE + "supplement/", views_workbench.case_supplement, name="supplement"),
    path(_CASE + "files/<int:case_material_id>/", views_workbench.case_file, name="file"),
    path(_CASE + "documents/<int:document_id>/", views_workbench.case_document, name="document"),
]

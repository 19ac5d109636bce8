"""Catalogue workbench pages (事项管理工作台), mounted at /workbench/catalog/."""

from django.urls import path

from tongban.catalog import views_transfer
from tongban.catalog import views_workbench as views

app_name = "catalog_workbench"

_VERSION = "items/<int:item_id>/versions/<int:version_id>/"

urlpatterns = [
    path("", views.my_items, name="my_items"),
    path("items/new/", views.item_create, name="item_create"),
    path("items/<int:item_id>/", views.item_detail, name="item_detail"),
    path("items/<int:item_id>/new-draft/", views.version_new_draft, name="version_new_draft"),
    path(_VERSION, views.version_edit, name="version_edit"),
    path(_VERSION + "submit/", views.version_submit, name="version_submit"),
    path(_VERSION + "form/", views.version_form, name="version_form"),
    path(_VERSION + "form/preview/", views.version_form_preview, name="version_form_preview"),
    path(_VERSION + "process/", views.version_process, name="version_process"),
    path(_VERSION + "materials/new/", views.child_edit, {"relation": "materials"}, name="material_add"),
    path(_VERSION + "materials/<int:child_id>/", views.child_edit, {"relation": "materials"}, name="material_edit"),
    path(
        _VERSION + "materials/<int:child_id>/delete/",
        views.child_delete,
        {"relation": "materials"},
        name="material_delete",
    ),
    path(_VERSION + "fees/new/", views.child_edit, {"relation": "fees"}, name="fee_add"),
    path(_VERSION + "fees/<int:child_id>/", views.child_edit, {"relation": "fees"}, name="fee_edit"),
    path(_VERSION + "fees/<int:child_id>/delete/", views.child_delete, {"relation": "fees"}, name="fee_delete"),
    path(_VERSION + "faqs/new/", views.child_edit, {"relation": "faqs"}, name="faq_add"),
    path(_VERSION + "faqs/<int:child_id>/", views.child_edit, {"relation": "faqs"}, name="faq_edit"),
    path(_VERSION + "faqs/<int:child_id>/delete/", views.child_delete, {"relation": "faqs"}, name="faq_delete"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:version_id>/", views.review_detail, name="review_detail"),
    path("review/<int:version_id>/decide/", views.review_decide, name="review_decide"),
    path("review/<int:version_id>/retire/", views.item_retire, name="item_retire"),
    path("published/", views.published_items, name="published_items"),
    # Bulk maintenance (批量导入导出, views_transfer.py)
    path("transfer/export/", views_transfer.export, name="transfer_export"),
    path("transfer/import/", views_transfer.import_upload, name="transfer_import"),
    path("transfer/import/valid-rows/", views_transfer.import_valid_rows, name="transfer_import_valid_rows"),
    path("transfer/import/result/", views_transfer.import_result, name="transfer_result"),
]

"""Public portal pages (办事大厅), mounted at /services/."""

from django.urls import path

from tongban.catalog import views_portal

app_name = "catalog"

urlpatterns = [
    path("search/", views_portal.search_results, name="search"),
    path("region/", views_portal.region_choose, name="region_choose"),
    path("departments/", views_portal.department_list, name="departments"),
    path("departments/<int:organisation_id>/", views_portal.department_items, name="department"),
    path("themes/", views_portal.theme_list, name="themes"),
    path("themes/<slug:code>/", views_portal.theme_items, name="theme"),
    path("types/", views_portal.type_list, name="types"),
    path("types/<str:code>/", views_portal.type_items, name="type"),
    path("regions/", views_portal.region_list, name="regions"),
    path("regions/<str:code>/", views_portal.region_items, name="region"),
    path("items/<str:code>/", views_portal.guide, name="guide"),
    path(
        "items/<str:code>/materials/<int:material_id>/<str:kind>/",
        views_portal.material_download,
        name="material_download",
    ),
    path("items/<str:code>/result-sample/", views_portal.result_sample_download, name="result_sample"),
    path("items/<str:code>/favourite/", views_portal.favourite_toggle, name="favourite"),
    path("favourites/", views_portal.favourite_list, name="favourites"),
]

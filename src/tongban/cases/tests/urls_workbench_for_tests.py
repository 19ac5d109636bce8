"""The project's URLs plus the workbench, for tests run before the lead wires /workbench/cases/ into urls.py."""

from django.urls import include, path

from tongban.urls import handler403, handler404, handler500  # noqa: F401
from tongban.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("workbench/cases/", include("tongban.cases.urls_workbench")),
    *[pattern for pattern in project_urlpatterns if "workbench/cases/" not in str(pattern.pattern)],
]

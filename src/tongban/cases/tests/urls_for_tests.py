"""The project's URLs plus the online application pages, for tests until the lead mounts them in tongban/urls.py.

Use with `@pytest.mark.urls("tongban.cases.tests.urls_for_tests")` (or settings.ROOT_URLCONF).
"""

from django.urls import include, path

from tongban.urls import handler403, handler404, handler500  # noqa: F401
from tongban.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(pattern, "namespace", None) == "cases-apply" for pattern in project_urlpatterns)

urlpatterns = [
    *([] if _mounted else [path("cases/apply/", include("tongban.cases.urls_apply"))]),
    *project_urlpatterns,
]

"""The site's URLs plus the licence pages and API, for tests written before the lead mounts them in tongban/urls.py
and tongban/api.py (once mounted there, the site's own routes answer first and these are never reached)."""

from django.urls import include, path
from ninja import NinjaAPI

from tongban.core.errors import install_error_handlers
from tongban.licences.api import router
from tongban.urls import urlpatterns as site_patterns

_api = NinjaAPI(urls_namespace="licences-tests-api")
install_error_handlers(_api)
_api.add_router("/licences/", router)

_mounted = any(getattr(pattern, "namespace", None) == "licences" for pattern in site_patterns)
urlpatterns = [
    *site_patterns,
    *([] if _mounted else [path("licences/", include("tongban.licences.urls"))]),
    path("api/v1/", _api.urls),
]

"""The project's URLs plus /messages/, for tests that run before the include is wired into tongban/urls.py."""

from django.urls import include, path

from tongban.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("messages/", include("tongban.notifications.urls")), *project_urlpatterns]

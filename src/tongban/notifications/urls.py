"""我的消息 pages, mounted at /messages/ (namespace "notifications")."""

from django.urls import path

from tongban.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("<int:message_id>/read", views.message_read, name="read"),
]

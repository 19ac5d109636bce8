from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Site messages and the one place that decides how a person is told something (site message, SMS)."""

    name = "tongban.notifications"
    label = "notifications"
    verbose_name = "消息通知"

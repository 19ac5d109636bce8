from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county: `manage.py demo_seed` and `manage.py demo_accounts`. Holds no models."""

    name = "tongban.demo"
    label = "demo"
    verbose_name = "演示数据"

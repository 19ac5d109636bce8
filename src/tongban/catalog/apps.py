from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """The service-item catalogue (事项管理) and the public portal's guides and search."""

    name = "tongban.catalog"
    label = "catalog"
    verbose_name = "事项管理"

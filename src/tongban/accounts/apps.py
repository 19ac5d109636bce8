from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People, enterprise accounts and staff."""

    name = "tongban.accounts"
    label = "accounts"
    verbose_name = "账号与身份"

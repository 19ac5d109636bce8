from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People, enterprise accounts and staff."""

    name = "tongban.accounts"
    label = "accounts"
    verbose_name = "账号与身份"

    def ready(self) -> None:
        from tongban.accounts.access import connect_kept_roles

        connect_kept_roles()

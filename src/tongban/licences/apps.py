from django.apps import AppConfig


class LicencesConfig(AppConfig):
    """Electronic licences and seals (电子证照与电子印章): platform CAs, organisation keys and seals, licences."""

    name = "tongban.licences"
    label = "licences"
    verbose_name = "电子证照与印章"

    def ready(self):
        from tongban.licences import verification_cache

        verification_cache.connect()

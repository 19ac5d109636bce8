"""Template context shared by every page: the platform name and the region it serves."""

from django.conf import settings


def platform(request):
    from tongban.core.selectors import deployment_region

    return {
        "platform_name": settings.TONGBAN_PLATFORM_NAME,
        "platform_region": deployment_region(),
    }

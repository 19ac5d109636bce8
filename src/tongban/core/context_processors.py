"""Template context shared by every page: the platform name and the region it serves."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_migrate, post_save

from tongban.core.models import Region

REGION_TTL = 60.0  # seconds a process keeps the deployment's region (regions change rarely: an import, the admin)
_region: tuple[float, str, object] | None = None  # (read at, region code, Region or None)


def platform(request):
    return {
        "platform_name": settings.TONGBAN_PLATFORM_NAME,
        "platform_region": shell_region(),
    }


def shell_region():
    """The deployment region every page's header and footer name: read once a minute per process, not once a page.

    Inside a transaction (a test, a write that renders a page) it is read fresh and not kept, as catalog/portal.py
    does for the region chooser: a test's regions must not outlive its rolled-back transaction."""
    from tongban.core.selectors import deployment_region

    global _region
    if _in_transaction():
        return deployment_region()
    code, now, cached = settings.TONGBAN_REGION_CODE, time.monotonic(), _region
    if cached is None or cached[1] != code or now - cached[0] > REGION_TTL:
        cached = _region = (now, code, deployment_region())
    return cached[2]


def _in_transaction() -> bool:
    return connection.in_atomic_block


def forget_shell_region(**_kwargs) -> None:
    """A region saved or deleted in this process shows on its next page (other processes: within REGION_TTL)."""
    global _region
    _region = None


# Connected when the first page renders (this module is imported then); before that nothing is kept to forget.
post_save.connect(forget_shell_region, sender=Region, dispatch_uid="tongban.core.shell_region.save")
post_delete.connect(forget_shell_region, sender=Region, dispatch_uid="tongban.core.shell_region.delete")
# A flushed database (between live-server tests, `manage.py flush`) holds other regions, or none.
post_migrate.connect(forget_shell_region, dispatch_uid="tongban.core.shell_region.migrate")

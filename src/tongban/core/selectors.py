"""Reads of foundation data."""

from __future__ import annotations

from django.conf import settings

from tongban.core.models import Region


def deployment_region() -> Region | None:
    """The region this deployment serves (TONGBAN_REGION_CODE), or None before regions are loaded."""
    return Region.objects.filter(code=settings.TONGBAN_REGION_CODE).select_related("parent__parent").first()

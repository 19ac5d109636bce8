"""Reads of foundation data."""

from __future__ import annotations

from django.conf import settings

from tongban.core.errors import CoreError, DomainError
from tongban.core.models import Organisation, OrganisationKind, Region, RegionLevel


def deployment_region() -> Region | None:
    """The region this deployment serves (TONGBAN_REGION_CODE), or None before regions are loaded."""
    return Region.objects.filter(code=settings.TONGBAN_REGION_CODE).select_related("parent__parent").first()


def service_points(limit: int = 12) -> list[Organisation]:
    """Where people can get things done in person: active service halls, then town offices, of this deployment.

    Region codes nest by prefix (GB/T 2260: county 6 digits, town 9, village 12), so a prefix match finds the county's
    own hall and every town office under it in one indexed query.
    """
    kinds = [OrganisationKind.SERVICE_HALL, OrganisationKind.TOWN_OFFICE]
    return list(
        Organisation.objects.filter(
            active=True, kind__in=kinds, region__code__startswith=settings.TONGBAN_REGION_CODE
        ).order_by("kind", "region__code", "name")[:limit]
    )


def region_by_code(code: str) -> Region:
    """The region with this code (current or abolished), or REGION_NOT_FOUND."""
    region = Region.objects.filter(code=code).select_related("parent__parent__parent__parent").first()
    if region is None:
        raise DomainError(CoreError.REGION_NOT_FOUND)
    return region


def region_list(*, parent_code: str | None = None, level: int | None = None, active: bool | None = None):
    """Regions in code order, optionally the direct children of one region, of one level, current or abolished."""
    regions = Region.objects.select_related("parent").order_by("code")
    if parent_code is not None:
        parent_id = Region.objects.filter(code=parent_code).values_list("id", flat=True).first()
        if parent_id is None:
            raise DomainError(CoreError.REGION_NOT_FOUND)
        regions = regions.filter(parent_id=parent_id)
    if level is not None:
        regions = regions.filter(level=level)
    if active is not None:
        regions = regions.filter(active=active)
    return regions


def organisation_list(*, region_code: str | None = None, kind: str | None = None, within: bool = False):
    """Active organisations, optionally of one region (or, with `within`, of that region and every region under it)."""
    organisations = Organisation.objects.filter(active=True).select_related("region", "parent")
    if region_code is not None:
        if not Region.objects.filter(code=region_code).exists():
            raise DomainError(CoreError.REGION_NOT_FOUND)
        if within:
            organisations = organisations.filter(region__code__startswith=_subtree_prefix(region_code))
        else:
            organisations = organisations.filter(region__code=region_code)
    if kind is not None:
        organisations = organisations.filter(kind=kind)
    return organisations.order_by("region__code", "name", "id")


def _subtree_prefix(code: str) -> str:
    """The code prefix shared by a region and everything under it (GB/T 2260 codes nest by prefix)."""
    level = Region.level_for_code(code)
    return {RegionLevel.PROVINCE: code[:2], RegionLevel.CITY: code[:4]}.get(level, code)

"""Fixtures shared by the core tests."""

import pytest

from tongban.core.models import Region, RegionLevel


@pytest.fixture
def county(settings):
    """The platform's own county (TONGBAN_REGION_CODE, what the page shell names) with its city and province.
    Test modules that need a county of another shape define their own `county`, which takes precedence."""
    province = Region.objects.create(code="330000", name="浙江省", level=RegionLevel.PROVINCE)
    city = Region.objects.create(code="330100", name="杭州市", level=RegionLevel.CITY, parent=province)
    county = Region.objects.create(code="330122", name="桐庐县", level=RegionLevel.COUNTY, parent=city)
    settings.TONGBAN_REGION_CODE = "330122"
    return county

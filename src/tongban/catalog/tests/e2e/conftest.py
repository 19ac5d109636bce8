"""Browser fixtures for the catalogue journeys: the same ones core's journeys use (one shared browser per session)."""

import pytest

from tongban.catalog import portal
from tongban.core.tests.e2e.conftest import (  # noqa: F401 — fixtures and the hook that runs journeys last
    browser,
    open_page,
    pytest_collection_modifyitems,
)


@pytest.fixture(autouse=True)
def _no_guide_views_across_journeys():
    """The live server counts guide views in the process (portal.GUIDE_VIEWS); a journey's views must not be written
    into the next journey's database, whose items may reuse the ids."""
    portal.GUIDE_VIEWS.discard()
    yield
    portal.GUIDE_VIEWS.discard()

"""Browser fixtures for the catalogue journeys: the same ones core's journeys use (one shared browser per session)."""

from tongban.core.tests.e2e.conftest import (  # noqa: F401 — fixtures and the hook that runs journeys last
    browser,
    open_page,
    pytest_collection_modifyitems,
)

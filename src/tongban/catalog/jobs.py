"""Periodic jobs of the catalogue (discovered by core.jobs)."""

from datetime import timedelta

from tongban.catalog import search
from tongban.core.jobs import periodic


@periodic("catalog.search_use_counts", every=timedelta(minutes=15))
def search_use_counts() -> None:
    """Search ranks by use; the guide page counts uses on the item, and this copies them into the index."""
    search.refresh_use_counts()

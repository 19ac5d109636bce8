"""Lifecycle services: draft → submitted → approved/returned → published; new drafts; retiring; four eyes."""

from tongban.catalog.models import VersionStatus
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import published


def test_smoke_publish(item, people):
    version = published(item, people["editor"], people["reviewer"])
    assert version.status == VersionStatus.PUBLISHED

"""Shared fixtures of the licences tests: a county with two organisations, the platform CAs, the openssl CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tongban.core.models import Organisation, Region
from tongban.core.tests.identifiers import uscc

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed")


def openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], capture_output=True, check=False, cwd=cwd)


@pytest.fixture
def county(db) -> Region:
    return Region.objects.create(code="330122", name="桐庐县", level=3)


@pytest.fixture
def amr(county) -> Organisation:
    return Organisation.objects.create(
        name="桐庐县市场监督管理局", uscc=uscc("11330122002567890"), kind="department", region=county
    )


@pytest.fixture
def civil(county) -> Organisation:
    return Organisation.objects.create(
        name="桐庐县民政局", uscc=uscc("11330122002567891"), kind="department", region=county
    )

"""Fixtures of the wallet tests, on top of the cases fixtures (the county, its staff, the published 食品经营许可 item,
李建国, 好味道 with its representative 孙丽华 and its agent 吴晓燕 authorised for the food licence only).

Use: `from tongban.licences.tests.wallet_fixtures import *` in a test module.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.accounts.acting import SESSION_KEY as ACTING_SESSION_KEY
from tongban.accounts.models import User, UserKind
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.catalog.models import ItemVersion, Material, MaterialSource
from tongban.licences import services
from tongban.licences.models import Licence, LicenceType

FOOD_FIELDS = {"business_scope": "热食类食品制售", "premises": "桐庐县桐君街道迎春南路 18 号", "note": "内部备注"}
BUSINESS_FIELDS = {"business_scope": "餐饮服务"}


def client_for(user: User | None, acting_for: User | None = None) -> Client:
    """A browser session of `user` (staff past the second factor), acting for `acting_for` when given."""
    client = Client()
    if user is None:
        return client
    client.force_login(user)
    session = client.session
    if user.kind == UserKind.STAFF:
        session["second_factor_verified"] = True
    if acting_for is not None:
        session[ACTING_SESSION_KEY] = acting_for.pk
    session.save()
    return client


@pytest.fixture
def licence_types(county, food_item):
    """食品经营许可证 (JY, the food item's result) and 营业执照 (YYZZ), both issued by the bureau, which has keys."""
    amr = county["amr"]
    services.ca_ensure()
    services.organisation_keys_issue(actor=None, organisation=amr)
    services.seal_make(actor=None, organisation=amr)
    ItemVersion.objects.filter(pk=food_item.published_version_id).update(result_licence_type="JY")
    food = LicenceType.objects.create(
        code="JY",
        name="食品经营许可证",
        issuer=amr,
        validity_years=5,
        field_definitions=[
            {"name": "business_scope", "label": "经营项目", "required": True},
            {"name": "premises", "label": "经营场所", "required": True},
            {"name": "note", "label": "备注", "public": False},
        ],
    )
    business = LicenceType.objects.create(
        code="YYZZ",
        name="营业执照",
        issuer=amr,
        validity_years=None,
        field_definitions=[{"name": "business_scope", "label": "经营范围", "required": True}],
    )
    return {"food": food, "business": business}


@pytest.fixture
def issue(licence_types, django_capture_on_commit_callbacks):
    """issue(account, kind="food"|"business", render=True, **overrides) -> Licence (PDF rendered after commit)."""

    def issue_one(account: User, kind: str = "food", render: bool = True, **overrides) -> Licence:
        kwargs = {
            "actor": None,
            "licence_type": licence_types[kind],
            "holder": services.holder_of(account),
            "fields": dict(FOOD_FIELDS if kind == "food" else BUSINESS_FIELDS),
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=render):
            licence = services.licence_issue(**kwargs)
        licence.refresh_from_db()
        return licence

    return issue_one


@pytest.fixture
def licence_material(food_item) -> Material:
    """The item's 营业执照复印件, marked as issued by a department and available as licence type YYZZ."""
    material = Material.objects.get(version_id=food_item.published_version_id, name="营业执照复印件")
    Material.objects.filter(pk=material.pk).update(source=MaterialSource.GOVERNMENT, source_licence_type="YYZZ")
    material.refresh_from_db()
    return material

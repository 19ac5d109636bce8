"""Issuing from a case, as the review issue will on a grant: the catalogue item names the licence type by code."""

from __future__ import annotations

import json

import pytest

from tongban.cases.tests import fixtures as case_fixtures
from tongban.cases.tests.fixtures import publish_food_item, submitted_case
from tongban.licences import selectors, services
from tongban.licences.models import LicenceType
from tongban.licences.tests.fixtures import FOOD_FIELDS

pytestmark = pytest.mark.django_db

# The cases app's county (with its organisations), staff and applicants, in place of this app's own county fixture.
county, crew, applicants = case_fixtures.county, case_fixtures.crew, case_fixtures.applicants


@pytest.fixture
def food_item_with_licence(county, crew):
    amr = county["amr"]
    services.ca_ensure()
    services.organisation_keys_issue(actor=None, organisation=amr)
    services.seal_make(actor=None, organisation=amr)
    LicenceType.objects.create(
        code="JY",
        name="食品经营许可证",
        issuer=amr,
        validity_years=5,
        field_definitions=[
            {"name": "business_scope", "label": "经营项目", "required": True},
            {"name": "premises", "label": "经营场所", "required": True},
        ],
    )
    return publish_food_item(amr, crew["editor"], crew["catreviewer"], result_licence_type="JY")


def test_a_case_result_becomes_a_sealed_licence(food_item_with_licence, applicants, django_capture_on_commit_callbacks):
    li = applicants["li"]
    case = submitted_case(li, food_item_with_licence)
    licence_type = selectors.licence_type_for_version(case.version)
    assert (licence_type.code, licence_type.issuer.name) == ("JY", "桐庐县市场监督管理局")
    with django_capture_on_commit_callbacks(execute=True):
        licence = services.licence_issue(
            actor=None,
            licence_type=licence_type,
            holder=services.holder_of(li),
            fields=dict(FOOD_FIELDS),
            source_case=case,
        )
    licence.refresh_from_db()
    document = json.loads(bytes(licence.data))
    assert document["sourceCase"] == case.number
    assert (document["holder"]["name"], document["holder"]["idNumber"]) == ("李建国", li.id_number)
    assert licence.source_case == case and licence.holder == li
    assert (licence.render_status, licence.pdf.name != "") == ("done", True)


def test_no_licence_type_for_an_unknown_or_empty_code(db):
    assert selectors.licence_type_by_code("") is None
    assert selectors.licence_type_by_code("NOPE") is None

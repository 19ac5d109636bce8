"""Catalogue admin: items and versions are read-only (they change through the review workflow); themes and
synonyms are edited here with an audit row."""

import pytest
from django.urls import reverse

from tongban.catalog.models import Synonym
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import complete_draft
from tongban.core.models import AuditEntry


@pytest.mark.parametrize("model", ["basicitem", "implementationitem", "itemversion"])
def test_items_and_versions_are_listed_but_not_changed(admin_client, item, people, model):
    complete_draft(item, people["editor"])
    assert admin_client.get(reverse(f"admin:catalog_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:catalog_{model}_add")).status_code == 403


def test_a_version_page_shows_its_materials_without_a_save_button(admin_client, item, people):
    version = complete_draft(item, people["editor"])
    page = admin_client.get(reverse("admin:catalog_itemversion_change", args=[version.pk])).content.decode()
    assert "食品经营许可申请书" in page
    assert 'name="_save"' not in page


def test_synonyms_are_added_with_an_audit_row(admin_client, admin_user, db):
    response = admin_client.post(reverse("admin:catalog_synonym_add"), {"phrase": "开饭店", "means": "食品经营许可"})
    assert response.status_code == 302
    synonym = Synonym.objects.get()
    assert (synonym.phrase, synonym.means) == ("开饭店", "食品经营许可")
    entry = AuditEntry.objects.get(action="synonym.create")
    assert entry.actor == admin_user
    assert entry.after["means"] == "食品经营许可"


def test_themes_are_added_with_an_audit_row(admin_client, db):
    response = admin_client.post(
        reverse("admin:catalog_theme_add"), {"code": "shengyu", "name": "生育收养", "audience": "person", "order": 1}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="theme.create").after["name"] == "生育收养"

"""Catalogue access functions: who edits and reviews which item, loading items for them, and scoped lists."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tongban.accounts.models import StaffRole
from tongban.catalog import access, services
from tongban.catalog.errors import CatalogError
from tongban.catalog.tests.lifecycle_fixtures import *  # noqa: F403
from tongban.catalog.tests.lifecycle_fixtures import civil_item_create, complete_draft, published, staff
from tongban.core.errors import DomainError


def refusal(call, *args) -> CatalogError:
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value.code


@pytest.fixture
def civil_item(county, people):
    return civil_item_create(county, people)


# Who may edit the market regulation bureau's item, and who may review a version someone else wrote.
ROLE_MATRIX = [
    # (person, may edit, may review editor's version)
    ("editor", True, False),
    ("editor2", True, False),
    ("reviewer", False, True),
    ("reviewer2", False, True),
    ("both", True, True),
    ("civil_editor", False, False),
    ("civil_reviewer", False, False),
    ("clerk", False, False),
]


@pytest.mark.parametrize(("who", "edits", "reviews"), ROLE_MATRIX)
def test_role_matrix(item, people, who, edits, reviews):
    version = complete_draft(item, people["editor"])
    user = people[who]
    assert access.may_edit(user, item) is edits
    assert access.may_review(user, version) is reviews
    if edits:
        assert access.access_item_for_editor(user, item.pk) == item
    else:
        assert refusal(access.access_item_for_editor, user, item.pk) is CatalogError.EDITOR_REQUIRED
    if reviews:
        assert access.access_version_for_reviewer(user, version.pk) == version
    elif who not in ("editor", "editor2"):
        assert refusal(access.access_version_for_reviewer, user, version.pk) is CatalogError.REVIEWER_REQUIRED


def test_the_author_may_open_but_not_review(item, people):
    version = complete_draft(item, people["both"])
    assert access.access_version_for_reviewer(people["both"], version.pk) == version
    assert not access.may_review(people["both"], version)
    assert refusal(access.require_reviewer, people["both"], version) is CatalogError.AUTHOR_CANNOT_REVIEW


def test_a_subtree_reviewer_covers_the_county_departments(item, people, county):
    from tongban.accounts import services as account_services
    from tongban.accounts.models import User

    city_reviewer = staff("city_reviewer")
    account_services.staff_role_grant(
        actor=None,
        user=city_reviewer,
        organisation=county["civil"],
        role=StaffRole.CATALOGUE_REVIEWER,
        covers_region_subtree=True,
    )
    city_reviewer = User.objects.get(pk=city_reviewer.pk)
    version = complete_draft(item, people["editor"])
    assert access.may_review(city_reviewer, version)


@pytest.mark.parametrize("item_id", [999999, "abc", "", None])
def test_unknown_items_and_versions_are_not_found(people, item_id):
    assert refusal(access.access_item_for_editor, people["editor"], item_id) is CatalogError.ITEM_NOT_FOUND
    assert refusal(access.access_version_for_reviewer, people["reviewer"], item_id) is CatalogError.VERSION_NOT_FOUND
    assert refusal(access.access_version_for_editor, people["editor"], item_id) is CatalogError.VERSION_NOT_FOUND


def test_anonymous_and_people_have_no_catalogue_roles(item, people):
    version = complete_draft(item, people["editor"])
    anonymous = AnonymousUser()
    assert not access.may_edit(anonymous, item)
    assert not access.may_review(anonymous, version)
    assert list(access.editable_items(anonymous)) == []
    assert list(access.review_queue(anonymous)) == []


def test_published_items_are_found_by_code_only_when_published(item, people):
    assert refusal(access.access_published_item, item.code) is CatalogError.ITEM_NOT_FOUND
    version = published(item, people["editor"], people["reviewer"])
    found = access.access_published_item(item.code)
    assert found == item and found.published_version == version
    assert refusal(access.access_published_item, "no-such-code") is CatalogError.ITEM_NOT_FOUND


def test_editable_items_are_those_of_the_editors_organisations(item, civil_item, people):
    assert list(access.editable_items(people["editor"])) == [item]
    assert list(access.editable_items(people["civil_editor"])) == [civil_item]
    assert list(access.editable_items(people["reviewer"])) == []


def test_review_queue_holds_others_submitted_and_approved_versions(item, civil_item, people, django_assert_num_queries):
    mine = complete_draft(item, people["both"])
    services.version_submit(actor=people["both"], version=mine)
    civil = complete_draft(civil_item, people["civil_editor"], legal_basis="《浙江省老年人权益保障条例》")
    services.version_submit(actor=people["civil_editor"], version=civil)
    assert list(access.review_queue(people["reviewer"])) == [mine]
    assert list(access.review_queue(people["both"])) == []  # their own version is not theirs to review
    assert list(access.review_queue(people["civil_reviewer"])) == [civil]
    services.version_approve(actor=people["reviewer"], version=mine)
    assert list(access.review_queue(people["reviewer2"])) == [mine]  # approved, waiting to be published
    services.version_publish(actor=people["reviewer2"], version=mine)
    assert list(access.review_queue(people["reviewer"])) == []

    reviewer = people["reviewer"]
    access.review_queue(reviewer)  # roles loaded once per request
    with django_assert_num_queries(1):
        list(access.review_queue(reviewer))
    with django_assert_num_queries(1):
        list(access.editable_items(people["editor"]))

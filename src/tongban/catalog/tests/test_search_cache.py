# ruff: noqa: F811 — pytest fixtures imported from other test modules are used as arguments
"""Cached search results (catalog/search_cache.py): a repeated search runs no SQL, and every change of the catalogue
— publishing, retiring, a synonym — shows in the very next search. These tests run outside a test transaction
(transaction=True), as requests do, since inside a transaction the cache is never used."""

from __future__ import annotations

import pytest
from django.db import transaction

from tongban.catalog import search, search_cache, services
from tongban.catalog.models import Synonym
from tongban.catalog.schemas import ItemPageOut
from tongban.catalog.tests import test_search
from tongban.catalog.tests.lifecycle_fixtures import county, item, people, published  # noqa: F401 — fixtures

pytestmark = pytest.mark.django_db(transaction=True)

place, author, catalogue = test_search.place, test_search.author, test_search.catalogue

LIST = "/api/v1/catalog/items"
PAGE = "/services/search/"


@pytest.fixture(autouse=True)
def _fresh_synonym_table(settings, tmp_path):
    """Each test reads the synonym table of its own database, and keeps its generation stamp to itself."""
    settings.VAR_DIR = tmp_path
    search.synonyms_forget()
    yield
    search.synonyms_forget()


def codes(response) -> list[str]:
    return [entry["code"] for entry in response.json()["items"]]


def test_a_repeated_search_is_answered_from_the_cache_without_sql(client, catalogue, django_assert_num_queries):
    client.get(LIST, {"q": "spjy"})  # this process reads the synonym table (kept for SYNONYM_TTL)
    with django_assert_num_queries(1):  # a miss: hits, total and facets in one statement
        first = client.get(LIST, {"q": "开饭店", "region": "330122"})
    with django_assert_num_queries(0):  # a hit
        again = client.get(LIST, {"q": "开饭店", "region": "330122"})
    assert again.status_code == 200 and again["Content-Type"] == "application/json"
    assert again.content == first.content
    assert codes(again) == [catalogue["food"].code]
    assert ItemPageOut.model_validate(again.json())  # the documented schema holds for the cached body too
    with django_assert_num_queries(1):  # another page is another search
        client.get(LIST, {"q": "开饭店", "region": "330122", "page": 2})


def test_the_cached_answer_holds_nothing_about_who_asked(client, catalogue, author):
    anonymous = client.get(LIST, {"q": "开饭店"})
    client.force_login(author)
    assert client.get(LIST, {"q": "开饭店"}).content == anonymous.content


def test_the_results_page_keeps_its_results_and_renders_them_for_each_request(
    client, catalogue, django_assert_num_queries
):
    client.get(PAGE, {"q": "spjy"})  # the shell's lists and the synonym table are read once per process
    with django_assert_num_queries(1):  # the search (the shell's lists are kept per process outside a transaction)
        first = client.get(PAGE, {"q": "开饭店"})
    with django_assert_num_queries(0):
        again = client.get(PAGE, {"q": "开饭店"})
    assert again.content.decode().count(catalogue["food"].code) == first.content.decode().count(catalogue["food"].code)
    assert catalogue["food"].code in again.content.decode()


def test_a_published_item_is_found_at_once_and_a_retired_one_is_gone_at_once(
    client, item, people, django_assert_num_queries
):
    query = {"q": "食品经营许可", "region": "330122"}
    assert codes(client.get(LIST, query)) == []
    with django_assert_num_queries(0):  # the empty answer is cached
        assert codes(client.get(LIST, query)) == []
    published(item, people["editor"], people["reviewer"])
    assert codes(client.get(LIST, query)) == [item.code]
    assert codes(client.get(LIST, query)) == [item.code]  # (now cached)
    services.item_retire(actor=people["reviewer"], item=item, reason="职能调整，事项取消")
    assert codes(client.get(LIST, query)) == []


def test_a_synonym_an_administrator_adds_applies_to_cached_searches_at_once(client, catalogue):
    assert codes(client.get(LIST, {"q": "摆摊"})) == []
    Synonym.objects.create(phrase="摆摊", means="个体工商户设立登记")
    assert codes(client.get(LIST, {"q": "摆摊"})) == [catalogue["getihu"].code]


def test_a_use_count_refresh_that_changes_the_ranking_starts_a_new_generation(catalogue):
    from tongban.catalog.models import ImplementationItem

    before = search_cache.generation()
    assert search.refresh_use_counts() == 0
    assert search_cache.generation() == before  # nothing changed
    ImplementationItem.objects.filter(pk=catalogue["far_food"].pk).update(use_count=1000)
    assert search.refresh_use_counts() == 1
    assert search_cache.generation() != before


@pytest.mark.parametrize("shared", [False, True])
def test_every_bump_starts_a_new_generation_once_it_commits(settings, tmp_path, shared):
    if shared:  # any cache that is not this process's memory is treated as shared by every process
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
        }
    first = search_cache.generation()
    assert search_cache.generation() == first
    with transaction.atomic():
        search_cache.bump()
        assert search_cache.generation() == first  # not before the change is visible to others
    second = search_cache.generation()
    search_cache.bump()
    search_cache.bump()
    third = search_cache.generation()
    assert len({first, second, third}) == 3


def test_inside_a_transaction_the_cache_is_neither_read_nor_written(client, catalogue, django_assert_num_queries):
    client.get(LIST, {"q": "spjy"})
    client.get(LIST, {"q": "开饭店"})  # cached outside a transaction
    with transaction.atomic():
        with django_assert_num_queries(2):  # the synonym table (read fresh inside a transaction) and the search
            search.cached("api", lambda results: results.total, q="开饭店")
        built = []
        search.cached("api", built.append, q="低保")
        search.cached("api", built.append, q="低保")
        assert len(built) == 2


@pytest.mark.parametrize("shared", [False, True])
def test_a_result_built_while_the_catalogue_changed_is_never_served(catalogue, settings, tmp_path, shared):
    if shared:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
        }

    def built_during_a_publish(results):
        search_cache.bump()  # another process's publish commits while this search runs
        return "built from the rows before it"

    assert search.cached("api", built_during_a_publish, q="开饭店") == "built from the rows before it"
    assert search.cached("api", lambda results: "built after it", q="开饭店") == "built after it"
    assert search.cached("api", lambda results: "not built: kept", q="开饭店") == "built after it"

"""Search in Chinese as people ask: colloquial words through synonyms, pinyin initials, a wrong character, materials
and FAQs, region validity per service scope, filters and facets, and a constant number of SQL statements."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.utils import timezone

from tongban.accounts.models import User
from tongban.catalog import codes, search
from tongban.catalog.models import (
    BasicItem,
    CaseType,
    ExerciseLevel,
    Faq,
    ImplementationItem,
    ItemVersion,
    Material,
    SearchDocument,
    ServiceScope,
    Synonym,
    Theme,
    VersionStatus,
)
from tongban.core.models import Organisation, OrganisationKind, Region
from tongban.demo.identifiers import credit_code

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def region(code: str, name: str, level: int, parent=None) -> Region:
    return Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]


@pytest.fixture
def place():
    """Province 33, city 3301, counties 330122 and 330110, and a county in another province (320102)."""
    province = region("330000", "浙江省", 1)
    city = region("330100", "杭州市", 2, province)
    county = region("330122", "桐庐县", 3, city)
    other_county = region("330110", "余杭区", 3, city)
    other_province = region("320000", "江苏省", 1)
    far_city = region("320100", "南京市", 2, other_province)
    far = region("320102", "玄武区", 3, far_city)
    return {"county": county, "other_county": other_county, "far": far}


def organisation(name: str, county: Region) -> Organisation:
    number = next(_numbers)
    return Organisation.objects.create(
        name=name,
        uscc=credit_code("11", county.code, f"T{number:07d}"),
        kind=OrganisationKind.DEPARTMENT,
        region=county,
    )


@pytest.fixture
def author():
    return User.objects.create(username="search_author", kind="staff", display_name="编辑")


def publish(
    author,
    org: Organisation,
    name: str,
    *,
    item_type: str = "01",
    audience: str = "person",
    scope: str = ServiceScope.COUNTY,
    materials: tuple[str, ...] = (),
    faqs: tuple[tuple[str, str], ...] = (),
    themes: tuple[Theme, ...] = (),
    use_count: int = 0,
    index: bool = True,
) -> ImplementationItem:
    number = next(_numbers)
    basic = BasicItem.objects.create(
        code=codes.basic_code("00", item_type, "01", f"{number:03d}", "000"),
        name=name,
        item_type=item_type,
        source="00",
        department_code="01",
        main_number=f"{number:03d}",
    )
    item = ImplementationItem.objects.create(
        code=codes.implementation_code(org.uscc, ExerciseLevel.COUNTY, basic.code),
        basic_item=basic,
        organisation=org,
        exercise_level=ExerciseLevel.COUNTY,
        use_count=use_count,
    )
    version = ItemVersion.objects.create(
        item=item,
        number=1,
        status=VersionStatus.PUBLISHED,
        name=name,
        item_type=item_type,
        legal_basis="依据",
        service_object=[audience],
        acceptance_conditions="材料齐全",
        procedure="受理、审查、决定",
        statutory_limit=20,
        promised_limit=10,
        case_type=CaseType.PROMISED,
        place="大厅",
        hours="工作日",
        consultation="12345",
        complaint="12345",
        service_scope=scope,
        author=author,
        published_at=timezone.now(),
    )
    for order, material in enumerate(materials):
        Material.objects.create(
            version=version,
            order=order,
            name=material,
            material_type="original",
            material_form="paper",
            necessity="required",
            source="applicant",
            acceptance_standard="真实有效",
        )
    for question, answer in faqs:
        Faq.objects.create(version=version, question=question, answer=answer)
    version.themes.set(themes)
    item.published_version = version
    item.save(update_fields=["published_version"])
    if index:
        search.index_item(item)
    return item


@pytest.fixture
def catalogue(place, author):
    county = place["county"]
    market = organisation("桐庐县市场监督管理局", county)
    health = organisation("桐庐县卫生健康局", county)
    police = organisation("桐庐县公安局", county)
    hrss = organisation("桐庐县人力资源和社会保障局", county)
    far_market = organisation("玄武区市场监督管理局", place["far"])
    birth = Theme.objects.create(code="birth", name="生育收养", audience="person")
    items = {
        "food": publish(
            author,
            market,
            "食品经营许可证核发",
            audience="enterprise",
            use_count=300,
            materials=("食品经营许可申请书", "食品安全管理制度"),
            faqs=(("小餐饮需要办证吗？", "需要办理。"),),
        ),
        "getihu": publish(author, market, "个体工商户设立登记", item_type="07", materials=("经营者身份证明",)),
        "venue": publish(author, health, "公共场所卫生许可证核发", audience="enterprise", use_count=5),
        "birthcert": publish(
            author,
            health,
            "出生医学证明签发",
            item_type="07",
            themes=(birth,),
            materials=("住院分娩记录",),
        ),
        "hukou": publish(
            author,
            police,
            "户口登记（出生）",
            item_type="07",
            themes=(birth,),
            scope=ServiceScope.CITY,
            materials=("出生医学证明", "父母户口簿"),
            faqs=(("新生儿落户要带什么？", "带出生医学证明。"),),
        ),
        "pension": publish(
            author,
            hrss,
            "城乡居民基本养老保险参保登记",
            item_type="20",
            scope=ServiceScope.PROVINCE,
            materials=("居民身份证",),
        ),
        "far_food": publish(author, far_market, "食品经营许可证核发", audience="enterprise", use_count=10),
        "residence": publish(author, police, "居住证申领", item_type="20", scope=ServiceScope.CROSS_PROVINCE),
    }
    search.seed_synonyms()
    return items


def codes_of(results) -> list[str]:
    return [hit.code for hit in results.items]


# --- Tokens -----------------------------------------------------------------------------------------------------------


def test_tokens_segment_with_the_domain_dictionary_and_drop_stop_words_and_punctuation():
    words = search.tokens("我要办理食品经营许可证，怎么办？ICP")
    assert {"食品", "经营", "许可", "许可证", "食品经营许可证"} <= set(words)
    assert "食品经营许可" in search.index_tokens("食品经营许可证核发")
    assert "icp" in words
    assert not {"我", "要", "办理", "怎么", "，", "？"} & set(words)


def test_initials_and_bigrams():
    assert search.initials("食品经营许可证核发") == "spjyxkzhf"
    assert search.bigrams("食品经营") == ["食品", "品经", "经营"]
    assert search.initials_suffixes("spjy") == ["spjy", "pjy", "jy"]


def test_jieba_cache_is_written_under_var_dir(settings):
    tokenizer = search._jieba()
    assert tokenizer.tmp_dir.startswith(str(settings.VAR_DIR))


# --- Indexing ---------------------------------------------------------------------------------------------------------


def test_index_item_builds_the_document_from_the_published_version(catalogue):
    food = catalogue["food"]
    document = SearchDocument.objects.get(item=food)
    assert document.name == "食品经营许可证核发"
    assert document.initials == "spjyxkzhf"
    assert document.region_code == "330122"
    assert document.organisation_id == food.organisation_id
    assert document.item_type == "01" and document.audience == "enterprise"
    for word in ("食品经营许可", "品经", "spjyxkzhf", "jyxkzhf", "安全", "餐饮", "监督管理"):
        assert word in document.terms.split(), word


def test_scope_decides_the_region_code_of_the_document(catalogue):
    region_codes = dict(SearchDocument.objects.values_list("item__code", "region_code"))
    assert region_codes[catalogue["hukou"].code] == "330100"
    assert region_codes[catalogue["pension"].code] == "330000"
    assert region_codes[catalogue["residence"].code] == ""


def test_remove_item_takes_it_out_of_the_results(catalogue):
    assert catalogue["venue"].code in codes_of(search.search("公共场所"))
    search.remove_item(catalogue["venue"])
    assert not SearchDocument.objects.filter(item=catalogue["venue"]).exists()
    assert codes_of(search.search("公共场所")) == []


def test_index_item_without_a_published_version_removes_it(catalogue):
    venue = catalogue["venue"]
    ImplementationItem.objects.filter(pk=venue.pk).update(published_version=None)
    search.index_item(venue)
    assert venue.code not in codes_of(search.search("公共场所卫生许可"))


def test_rebuild_index_restores_every_published_item(catalogue):
    SearchDocument.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {search.FTS_TABLE}")
    assert search.rebuild_index() == len(catalogue)
    assert catalogue["food"].code in codes_of(search.search("食品经营许可"))


# --- Searching --------------------------------------------------------------------------------------------------------


def test_exact_name_ranks_first(catalogue):
    results = search.search("公共场所卫生许可证", region_code="330122")
    assert codes_of(results)[0] == catalogue["venue"].code


@pytest.mark.parametrize("query", ["开饭店", "我想开个小饭馆", "开餐馆怎么办"])
def test_colloquial_words_find_the_catalogue_item_through_synonyms(catalogue, query):
    results = search.search(query, region_code="330122")
    assert codes_of(results)[0] == catalogue["food"].code
    assert "食品经营许可" in results.query_terms


def test_synonym_edited_by_an_administrator_takes_effect_at_once_in_its_process(catalogue):
    assert codes_of(search.search("摆摊")) == []
    Synonym.objects.create(phrase="摆摊", means="个体工商户设立登记")
    assert codes_of(search.search("摆摊")) == [catalogue["getihu"].code]


def test_having_a_baby_finds_the_birth_items(catalogue):
    found = codes_of(search.search("生孩子", region_code="330122"))
    assert set(found[:2]) == {catalogue["birthcert"].code, catalogue["hukou"].code}


@pytest.mark.parametrize("query", ["spjy", "SPJY", "jyxk", "spjyxkzhf"])
def test_pinyin_initials_match_by_prefix_and_substring(catalogue, query):
    assert set(codes_of(search.search(query))) == {catalogue["food"].code, catalogue["far_food"].code}


def test_a_wrong_character_still_finds_the_item(catalogue):
    results = search.search("食品经荣许可", region_code="330122")
    assert codes_of(results)[0] == catalogue["food"].code


def test_material_names_and_faqs_are_searched(catalogue):
    assert codes_of(search.search("住院分娩记录"))[0] == catalogue["birthcert"].code
    assert catalogue["food"].code in codes_of(search.search("小餐饮"))


def test_nothing_found_for_unrelated_words(catalogue):
    results = search.search("火星签证")
    assert (results.items, results.total, results.pages) == ([], 0, 1)


def test_use_count_breaks_ties_between_equal_matches(catalogue):
    results = search.search("食品经营许可证核发")
    assert codes_of(results)[:2] == [catalogue["food"].code, catalogue["far_food"].code]  # 300 uses before 10


def test_region_filter_follows_the_service_scope(catalogue, place):
    in_other_county = set(codes_of(search.search("", region_code=place["other_county"].code, per_page=100)))
    # county-scope items of 桐庐县 are not valid in 余杭区; city, province and cross-province ones are
    assert in_other_county == {catalogue["hukou"].code, catalogue["pension"].code, catalogue["residence"].code}
    in_far = set(codes_of(search.search("", region_code=place["far"].code, per_page=100)))
    assert in_far == {catalogue["far_food"].code, catalogue["residence"].code}
    in_town = set(codes_of(search.search("食品经营许可", region_code="330122101")))
    assert in_town == {catalogue["food"].code}


def test_filters_by_organisation_type_audience_and_theme(catalogue):
    food = catalogue["food"]
    by_org = search.search("", organisation_id=food.organisation_id)
    assert set(codes_of(by_org)) == {food.code, catalogue["getihu"].code}
    assert set(codes_of(search.search("", item_type="20"))) == {catalogue["pension"].code, catalogue["residence"].code}
    assert set(codes_of(search.search("许可", audience="enterprise"))) == {
        food.code,
        catalogue["venue"].code,
        catalogue["far_food"].code,
    }
    assert set(codes_of(search.search("", theme="birth"))) == {catalogue["birthcert"].code, catalogue["hukou"].code}


def test_facets_count_by_organisation_type_and_region_ignoring_their_own_filter(catalogue):
    food = catalogue["food"]
    results = search.search("食品经营许可", item_type="01", organisation_id=food.organisation_id)
    assert codes_of(results) == [food.code]
    organisations = {(value.label, value.count) for value in results.facets["organisation"]}
    assert organisations == {("桐庐县市场监督管理局", 1), ("玄武区市场监督管理局", 1)}
    types = {(value.value, value.label, value.count) for value in results.facets["item_type"]}
    assert ("01", "行政许可", 1) in types
    regions = {value.value: value.count for value in results.facets["region"]}
    assert regions == {"330122": 1}


def test_pagination_reports_total_and_pages(catalogue):
    first = search.search("", per_page=3, page=1)
    third = search.search("", per_page=3, page=3)
    assert (first.total, first.pages, len(first.items)) == (8, 3, 3)
    assert (third.page, len(third.items)) == (3, 2)
    assert not set(codes_of(first)) & set(codes_of(third))
    assert codes_of(first)[0] == catalogue["food"].code  # most used first when browsing


def test_query_syntax_characters_are_harmless(catalogue):
    for query in ['"食品"', "食品 OR *", "a'b", "食品 & | ! ( ) :*", "NEAR(x y)"]:
        search.search(query)


@pytest.mark.parametrize(
    "query, filters",
    [
        ("开个小饭馆", {"region_code": "330122"}),
        ("spjy", {}),
        ("食品经荣许可", {"item_type": "01", "organisation_id": 1, "audience": "person", "theme": "birth"}),
        ("生孩子 上户口 退休金 低保 盖房子", {"region_code": "330122101"}),
    ],
)
def test_a_search_runs_one_sql_statement(catalogue, django_assert_num_queries, monkeypatch, query, filters):
    with django_assert_num_queries(2):  # in a transaction (as in tests): the synonym table, then the search
        search.search(query, **filters)
    # Outside a transaction (a production request) the synonym table is kept for SYNONYM_TTL seconds.
    monkeypatch.setattr(search, "_in_transaction", lambda: False)
    search.synonyms_forget()
    search.search(query, **filters)
    with django_assert_num_queries(1):  # hits, total and facets
        search.search(query, **filters)
    search.synonyms_forget()


def test_browsing_without_a_query_runs_one_sql_statement(catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        search.search("", region_code="330122", item_type="07", page=2, per_page=1)


def test_catalog_generate_makes_published_indexed_items_across_counties(place):
    from django.core.management import call_command

    Theme.objects.create(code="open-business", name="开办企业", audience="enterprise")
    call_command("catalog_generate", items=45, stdout=open("/dev/null", "w"))  # noqa: SIM115
    items = ImplementationItem.objects.filter(published_version__isnull=False)
    assert items.count() == 45
    assert items.order_by().values("organisation__region").distinct().count() == 2  # 40 names per county
    assert SearchDocument.objects.count() == 45
    assert Material.objects.filter(version__item__in=items).count() >= 90
    assert search.search("食品经营许可证核发").total == 2
    call_command("catalog_generate", items=5, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert SearchDocument.objects.count() == 50


def test_use_counts_reach_the_index_through_the_periodic_job(catalogue):
    from tongban.catalog import jobs
    from tongban.core.jobs import registered_jobs

    assert "catalog.search_use_counts" in {job.name for job in registered_jobs()}
    far_food = catalogue["far_food"]
    ImplementationItem.objects.filter(pk=far_food.pk).update(use_count=1000)
    assert codes_of(search.search("食品经营许可证核发"))[0] == catalogue["food"].code  # index still says 10
    jobs.search_use_counts()
    assert SearchDocument.objects.get(item=far_food).use_count == 1000
    assert codes_of(search.search("食品经营许可证核发"))[0] == far_food.code
    assert search.refresh_use_counts() == 0


def test_region_areas_and_their_postgresql_lexemes():
    assert search.region_areas("330122101") == ["", "330000", "330100", "330122"]
    assert search.region_areas("330100") == ["", "330000", "330100"]
    assert search.region_areas("330000") == ["", "330000"]
    assert [search.area_token(area) for area in ("", "330122")] == ["rgall", "rg330122"]


def test_strict_and_fuzzy_queries_for_postgresql():
    query = search.parse_query("食品经荣许可", ["个体工商户设立登记"])
    strict, fuzzy = search._tsqueries(query)
    assert "('食品' & '经荣' & '许可') | ('个体' & '工商'" in strict
    assert "('食品':A & '品经':A)" in fuzzy and "'经荣':A" in fuzzy
    assert search._tsqueries(search.parse_query("spjy", []))[0].endswith("'spjy':*A")


def test_other_processes_reload_the_synonyms_within_the_ttl(catalogue, monkeypatch):
    monkeypatch.setattr(search, "_in_transaction", lambda: False)
    search.synonyms_forget()
    search.search("摆摊")
    Synonym.objects.bulk_create([Synonym(phrase="摆摊", means="个体工商户设立登记")])  # no signal: as if elsewhere
    assert codes_of(search.search("摆摊")) == []
    clock = search.time.monotonic() + search.SYNONYM_TTL + 1
    monkeypatch.setattr(search.time, "monotonic", lambda: clock)
    assert codes_of(search.search("摆摊")) == [catalogue["getihu"].code]
    search.synonyms_forget()


def test_inside_a_transaction_the_synonyms_are_read_fresh_and_not_kept(catalogue):
    search.synonyms_forget()
    Synonym.objects.bulk_create([Synonym(phrase="摆摊", means="个体工商户设立登记")])  # no signal
    assert codes_of(search.search("摆摊")) == [catalogue["getihu"].code]
    assert search._synonyms is None  # a rolled-back test or write leaves nothing behind


def test_catalog_reindex_command_rebuilds_the_index(catalogue):
    from io import StringIO

    from django.core.management import call_command

    SearchDocument.objects.filter(item=catalogue["venue"]).delete()
    out = StringIO()
    call_command("catalog_reindex", stdout=out)
    assert "8 个事项" in out.getvalue()
    assert codes_of(search.search("公共场所卫生许可证核发"))[0] == catalogue["venue"].code

# ruff: noqa: F811 — pytest fixtures imported from portal_fixtures are used as arguments
"""The public portal through the test client: home, search, browse, guide, downloads, 收藏, region choice.

Items are published through the lifecycle services (portal_fixtures), which also index them for search.
"""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError
from django.utils import translation

from tongban.catalog import portal
from tongban.catalog.models import Favourite, ImplementationItem, ItemType, Theme
from tongban.catalog.portal import valid_in_region
from tongban.catalog.tests.portal_fixtures import (  # noqa: F401 — fixtures
    catalogue,
    county,
    item,
    people,
    signed_up_person,
)
from tongban.core.models import AuditEntry


@pytest.fixture(autouse=True)
def _portal_setup(settings, tmp_path):
    settings.TONGBAN_REGION_CODE = "330122"
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    yield
    translation.deactivate()


# --- Home ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_has_search_themes_departments_most_used_and_region_choice(client, catalogue, django_assert_num_queries):
    ImplementationItem.objects.filter(pk=catalogue["allowance"].pk).update(use_count=9)
    # region, service points, deployment regions, themes, departments, most used: six whatever the catalogue holds.
    with django_assert_num_queries(6):
        html = client.get("/").content.decode()
    assert '<form class="search-form" method="get" action="/services/search/" role="search">' in html
    assert '<label for="search-q" class="search-label">搜索办事事项</label>' in html
    assert '<a href="/services/themes/elderly/">养老服务</a>' in html
    assert '<a href="/services/themes/start-business/">开办企业</a>' in html
    amr = catalogue["food"].organisation
    assert f'<a href="/services/departments/{amr.pk}/">桐庐县市场监督管理局</a>' in html
    popular = re.findall(r'<a href="/services/items/[^"]+/">([^<]+)</a>', html.split('id="popular-title"')[1])
    assert popular[:2] == ["高龄津贴申领", "食品经营许可证核发"]
    assert "未公布的事项" not in html
    assert '<option value="330122100">城南街道</option>' in html
    assert 'href="tel:12345"' in html


@pytest.mark.django_db
def test_the_region_list_is_kept_by_the_process_for_a_minute(catalogue, monkeypatch, django_assert_num_queries):
    """Outside a transaction (production) the chooser's regions are read once a minute per process."""
    now = [500.0]
    monkeypatch.setattr(portal, "_regions", None)
    monkeypatch.setattr(portal, "_clock", lambda: now[0])
    monkeypatch.setattr(portal, "_in_transaction", lambda: False)
    with django_assert_num_queries(1):
        first = portal.deployment_regions()
    with django_assert_num_queries(0):
        assert portal.deployment_regions() is first
    assert [region.code for region in first] == ["330122", "330122100"]
    now[0] += portal.REGIONS_TTL + 1
    with django_assert_num_queries(1):
        assert [region.name for region in portal.deployment_regions()] == ["桐庐县", "城南街道"]


@pytest.mark.django_db
def test_region_choice_is_a_cookie_that_filters_lists(client, catalogue):
    response = client.post("/services/region/", {"region": "330122100", "next": "/services/themes/elderly/?region=1"})
    assert response.status_code == 303
    assert response["Location"] == "/services/themes/elderly/"
    assert response.cookies["tb_region"].value == "330122100"
    html = client.get("/").content.decode()
    assert '<option value="330122100" selected>城南街道</option>' in html
    assert "只显示在城南街道可以办理的事项" in html
    # 全县通办 items of the county are valid in the town.
    assert "高龄津贴申领" in client.get("/services/themes/elderly/").content.decode()

    refused = client.post("/services/region/", {"region": "110101", "next": "https://evil.example/"})
    assert refused["Location"] == "/"
    assert "tb_region" not in refused.cookies


@pytest.mark.django_db
def test_items_valid_in_a_region_follow_the_service_scope(catalogue):
    in_town = ImplementationItem.objects.filter(valid_in_region("330122100"), published_version__isnull=False)
    assert sorted(in_town.values_list("published_version__name", flat=True)) == ["食品经营许可证核发", "高龄津贴申领"]
    other_county = ImplementationItem.objects.filter(valid_in_region("330182100"), published_version__isnull=False)
    assert list(other_county) == []
    # 全省通办 reaches every county of the province.
    catalogue["food"].published_version.__class__.objects.filter(pk=catalogue["food"].published_version_id).update(
        service_scope="province"
    )
    assert [i.pk for i in ImplementationItem.objects.filter(valid_in_region("330182100"))] == [catalogue["food"].pk]


# --- Search --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_in_own_words_keeps_query_and_offers_facets(client, catalogue):
    html = client.get("/services/search/", {"q": "开饭店要办什么证"}).content.decode()
    assert 'value="开饭店要办什么证"' in html
    # Both fixtures share the material 食品经营许可申请书, so both match; the item named for it ranks first.
    assert "找到 2 个与“开饭店要办什么证”有关的事项" in html
    food = catalogue["food"]
    titles = re.findall(r'<h2 class="item-title"><a href="([^"]+)">([^<]+)</a></h2>', html)
    assert titles[0] == (f"/services/items/{food.code}/", "食品经营许可证核发")
    amr = food.organisation
    assert f"department={amr.pk}" in html
    assert "按事项类型" in html


@pytest.mark.django_db
def test_search_facet_link_filters_and_can_be_removed(client, catalogue):
    html = client.get("/services/search/", {"q": "许可 津贴", "type": ItemType.BENEFIT}).content.decode()
    assert "高龄津贴申领" in html
    assert "食品经营许可证核发" not in html
    assert 'aria-current="true"' in html
    assert "取消筛选" in html


@pytest.mark.django_db
def test_search_with_nothing_found_suggests_themes_and_12345(client, catalogue):
    html = client.get("/services/search/", {"q": "宇宙飞船驾驶证"}).content.decode()
    assert "没有找到与“宇宙飞船驾驶证”有关的事项。" in html
    assert '<a href="/services/themes/">按主题找事项</a>' in html
    assert '<a href="/services/themes/elderly/">养老服务</a>' in html
    assert html.count('href="tel:12345"') >= 2


@pytest.mark.django_db
def test_search_page_runs_constant_queries(client, catalogue, django_assert_num_queries):
    # region, deployment regions, synonyms, then hits + total + facets in one statement; a query no item matches in
    # full takes one more statement, the fuzzy fallback (search.py) — a fixed bound whatever the catalogue's size.
    with django_assert_num_queries(4):
        client.get("/services/search/", {"q": "食品经营"})
    with django_assert_num_queries(5):
        client.get("/services/search/", {"q": "许可 津贴 老人"})


# --- Browse --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_browse_by_department_theme_type_and_region(client, catalogue):
    amr = catalogue["food"].organisation
    html = client.get("/services/departments/").content.decode()
    assert (
        f'<a href="/services/departments/{amr.pk}/">桐庐县市场监督管理局</a> <span class="count">2 个事项</span>'
        in html
    )
    html = client.get(f"/services/departments/{amr.pk}/").content.decode()
    assert "共 2 个事项" in html
    html = client.get("/services/themes/elderly/").content.decode()
    assert "<h1>养老服务</h1>" in html and "高龄津贴申领" in html and "食品经营许可证核发" not in html
    html = client.get("/services/types/").content.decode()
    assert '<a href="/services/types/01/">行政许可</a> <span class="count">1 个事项</span>' in html
    html = client.get("/services/types/05/").content.decode()
    assert "高龄津贴申领" in html
    html = client.get("/services/regions/330122100/").content.decode()
    assert "<h1>城南街道</h1>" in html and "共 2 个事项" in html
    assert client.get("/services/types/99/").status_code == 404
    assert client.get("/services/regions/110101/").status_code == 404
    assert client.get("/services/themes/no-such-theme/").status_code == 404


@pytest.mark.django_db
def test_browse_empty_state_and_pagination(client, catalogue, settings):
    Theme.objects.create(code="marriage", name="婚姻登记", audience=Theme.Audience.PERSON, order=2)
    html = client.get("/services/themes/marriage/").content.decode()
    assert "这里还没有可以办理的事项。" in html
    assert 'href="tel:12345"' in html

    from tongban.catalog import views_portal

    settings.DEBUG = False
    original = views_portal.PER_PAGE
    views_portal.PER_PAGE = 1
    try:
        amr = catalogue["food"].organisation
        first = client.get(f"/services/departments/{amr.pk}/").content.decode()
        second = client.get(f"/services/departments/{amr.pk}/", {"page": 2}).content.decode()
    finally:
        views_portal.PER_PAGE = original
    assert "第 1 页，共 2 页" in first and 'href="?page=2" rel="next"' in first
    assert "第 2 页，共 2 页" in second and 'href="?page=1" rel="prev"' in second


# --- Guide ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_guide_shows_every_section_and_counts_the_visit(client, catalogue):
    food = catalogue["food"]
    response = client.get(f"/services/items/{food.code}/")
    html = response.content.decode()
    assert response.status_code == 200
    for title in (
        "基本信息",
        "受理条件",
        "申请材料",
        "办理流程",
        "办理时限",
        "收费标准",
        "设定依据",
        "办理地点和时间",
        "咨询和监督",
        "常见问题",
    ):
        assert re.search(rf'<h2 id="[a-z]+-title">{title}</h2>', html), title
    assert "<strong>最多跑一次</strong>" in html
    assert "网上可提交申请和材料预审，再到现场办理" in html
    assert "20 个工作日" in html and "5 个工作日" in html
    assert "全县通办（桐庐县）" in html
    assert "需先完成实名认证（在线核验姓名和身份证号）" in html
    assert 'href="tel:057164612345"' in html
    assert "要多少天？" in html
    assert "下载空白表格" in html
    # Appointments do not exist yet: no button for them, never a dead link. 在线办理 starts the application.
    actions = html.split('<div class="actions no-print">')[1].split("</div>")[0]
    assert re.findall(r">([^<>]+)</(?:a|button)>", actions) == ["在线办理", "咨询 057164612345", "收藏", "打印版"]
    assert f'href="/cases/apply/{food.code}/"' in actions
    assert ImplementationItem.objects.get(pk=food.pk).use_count == 1


@pytest.mark.django_db
def test_guide_query_count_is_constant_and_bots_do_not_count(client, catalogue, people, django_assert_num_queries):
    food, allowance = catalogue["food"], catalogue["allowance"]
    # First view of a version: region, item, version, materials, fees, faqs, themes, use_count (inside the test's
    # transaction the view is written at once; see test_guide_views_are_written_together_outside_a_transaction).
    with django_assert_num_queries(8):
        client.get(f"/services/items/{food.code}/")
    with django_assert_num_queries(8):
        client.get(f"/services/items/{allowance.code}/")
    # Then the rendered guide comes from the cache: region, item, use_count (anonymous: no favourite lookup).
    with django_assert_num_queries(3):
        client.get(f"/services/items/{food.code}/")
    with django_assert_num_queries(2):  # a crawler's view is not counted
        assert client.get(f"/services/items/{food.code}/", HTTP_USER_AGENT="Baiduspider/2.0").status_code == 200
    assert ImplementationItem.objects.get(pk=food.pk).use_count == 2


@pytest.mark.django_db
def test_a_cached_guide_is_the_same_page_and_follows_the_language(client, catalogue):
    food = catalogue["food"]
    first = client.get(f"/services/items/{food.code}/").content.decode()
    second = client.get(f"/services/items/{food.code}/").content.decode()
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", first) == csrf.sub("", second)
    assert "全县通办（桐庐县）" in second and "常见问题" in second
    client.cookies["django_language"] = "en"
    english = client.get(f"/services/items/{food.code}/").content.decode()
    assert "Basic information" in english and "基本信息</h2>" not in english


@pytest.mark.django_db
def test_a_new_published_version_is_shown_at_once(client, catalogue, people):
    from tongban.catalog import services
    from tongban.catalog.tests.lifecycle_fixtures import published

    food = catalogue["food"]
    assert "桐庐县政务服务中心二楼市场监管窗口" in client.get(f"/services/items/{food.code}/").content.decode()
    draft = services.version_new_draft(actor=people["editor"], item=food)
    services.version_update(actor=people["editor"], version=draft, place="桐庐县政务服务中心三楼")
    published(food, people["editor"], people["reviewer"], version=draft)
    page = client.get(f"/services/items/{food.code}/").content.decode()
    assert "桐庐县政务服务中心三楼" in page and "二楼市场监管窗口" not in page


@pytest.mark.django_db
def test_guide_views_are_written_together_outside_a_transaction(
    client, catalogue, monkeypatch, django_assert_num_queries
):
    """In production a view is counted in the process and written with the others at most every 30 seconds."""
    food, allowance = catalogue["food"], catalogue["allowance"]
    now = [1000.0]
    counter = portal.GuideViewCounter(flush_every=30, clock=lambda: now[0])
    monkeypatch.setattr(portal, "GUIDE_VIEWS", counter)
    monkeypatch.setattr(portal, "_in_transaction", lambda: False)
    for code in (food.code, food.code, allowance.code):
        client.get(f"/services/items/{code}/")
    with django_assert_num_queries(2):  # region, item: the view itself writes nothing
        client.get(f"/services/items/{food.code}/")
    assert counter.pending() == {food.pk: 3, allowance.pk: 1}
    assert ImplementationItem.objects.get(pk=food.pk).use_count == 0
    now[0] += 30
    with django_assert_num_queries(3):  # the view that finds 30 seconds passed writes every pending view: one UPDATE
        client.get(f"/services/items/{allowance.code}/")
    assert counter.pending() == {}
    counts = dict(ImplementationItem.objects.filter(pk__in=[food.pk, allowance.pk]).values_list("pk", "use_count"))
    assert counts == {food.pk: 3, allowance.pk: 2}
    assert counter.flush() == 0  # nothing pending: no statement


@pytest.mark.django_db
def test_a_failed_write_keeps_the_views_for_the_next_flush(catalogue, monkeypatch):
    food = catalogue["food"]
    counter = portal.GuideViewCounter(flush_every=3600)
    counter.add(food.pk)
    counter.add(food.pk)

    def broken(views):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(portal, "add_views", broken)
    assert counter.flush() == 0
    assert counter.pending() == {food.pk: 2}
    monkeypatch.undo()
    assert counter.flush() == 2
    assert ImplementationItem.objects.get(pk=food.pk).use_count == 2
    counter.add(food.pk)
    counter.discard()  # e2e journeys drop what their live server counted before the database is emptied
    assert (counter.pending(), counter.flush()) == ({}, 0)
    assert ImplementationItem.objects.get(pk=food.pk).use_count == 2


@pytest.mark.django_db
def test_unpublished_item_has_no_guide_or_download(client, catalogue):
    draft = catalogue["draft"]
    response = client.get(f"/services/items/{draft.code}/")
    assert response.status_code == 404
    assert "事项不存在或尚未公布" in response.content.decode()
    assert client.get("/services/items/NO-SUCH-CODE/").status_code == 404
    assert ImplementationItem.objects.get(pk=draft.pk).use_count == 0


@pytest.mark.django_db
def test_guide_shows_the_process_outline_steps(client, catalogue):
    process = catalogue["food"].published_version.process
    process.outline = {
        "steps": [
            {"name": "受理", "lane": "窗口", "department": "", "limit": None, "parallel_group": None},
            {
                "name": "审查",
                "lane": "",
                "department": "市场监管局",
                "limit": {"days": 3, "unit": "working_day"},
                "parallel_group": 0,
            },
        ]
    }
    process.save(update_fields=["outline"])
    html = client.get(f"/services/items/{catalogue['food'].code}/").content.decode()
    steps = html.split('<ol class="steps">')[1].split("</ol>")[0]
    assert re.findall(r"<li>(.*?)</li>", steps) == [
        "受理（窗口）",
        "审查（市场监管局），3 个工作日（与其他部门同时办理）",
    ]


@pytest.mark.django_db
def test_print_version_hides_buttons(client, catalogue):
    html = client.get(f"/services/items/{catalogue['food'].code}/", {"print": "1"}).content.decode()
    assert 'class="guide print-view"' in html
    assert "本页目录" not in html and "收藏</button>" not in html
    assert "返回办事指南" in html


# --- Downloads -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_blank_form_download_has_a_safe_filename(client, catalogue):
    food = catalogue["food"]
    material = food.published_version.materials.get()
    response = client.get(f"/services/items/{food.code}/materials/{material.pk}/form/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"blank form bytes"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "%E9%A3%9F%E5%93%81%E7%BB%8F%E8%90%A5%E8%AE%B8%E5%8F%AF%E7%94%B3%E8%AF%B7%E4%B9%A6" in disposition
    assert disposition.endswith(".docx")
    # No sample uploaded, an unknown kind, a material of another item: nothing to download.
    assert client.get(f"/services/items/{food.code}/materials/{material.pk}/sample/").status_code == 404
    assert client.get(f"/services/items/{food.code}/materials/{material.pk}/other/").status_code == 404
    allowance = catalogue["allowance"]
    assert client.get(f"/services/items/{allowance.code}/materials/{material.pk}/form/").status_code == 404


def test_safe_filename_strips_what_could_break_the_header():
    from tongban.catalog.views_portal import _safe_filename

    assert _safe_filename('申请书"; filename=../../etc/passwd\r\n') == "申请书 filename=....etcpasswd"
    assert _safe_filename("...") == "download"


# --- 收藏 ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_favourite_needs_sign_in_and_changes_nothing_until_then(client, catalogue):
    food = catalogue["food"]
    response = client.post(f"/services/items/{food.code}/favourite/")
    assert response.status_code == 303
    assert response["Location"] == f"/accounts/sign-in/?next=%2Fservices%2Fitems%2F{food.code}%2F"
    assert Favourite.objects.count() == 0
    assert client.get("/services/favourites/").status_code == 302


@pytest.mark.django_db
def test_favourite_toggles_for_a_signed_in_person_and_is_audited(client, catalogue):
    person = signed_up_person()
    client.force_login(person)
    food = catalogue["food"]
    response = client.post(f"/services/items/{food.code}/favourite/")
    assert response.status_code == 303 and response["Location"] == f"/services/items/{food.code}/"
    assert list(Favourite.objects.values_list("user_id", "item_id")) == [(person.pk, food.pk)]
    assert AuditEntry.objects.filter(action="catalog.favourite_add", object_id=str(food.pk), actor=person).count() == 1
    html = client.get(f"/services/items/{food.code}/").content.decode()
    assert "已收藏（点击取消）" in html and "已加入我的收藏。" in html
    listing = client.get("/services/favourites/").content.decode()
    assert f'<a href="/services/items/{food.code}/">食品经营许可证核发</a>' in listing

    client.post(f"/services/items/{food.code}/favourite/", {"next": "/services/favourites/"})
    assert Favourite.objects.count() == 0
    assert AuditEntry.objects.filter(action="catalog.favourite_remove").count() == 1
    assert "您还没有收藏事项" in client.get("/services/favourites/").content.decode()


@pytest.mark.django_db
def test_favourite_of_an_unpublished_item_is_refused(client, catalogue):
    client.force_login(signed_up_person())
    response = client.post(f"/services/items/{catalogue['draft'].code}/favourite/")
    assert response.status_code == 404
    assert Favourite.objects.count() == 0

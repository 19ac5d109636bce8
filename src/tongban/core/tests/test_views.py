"""The page shell and probes via the test client: home, toolbar cookies, languages, errors, health, API docs."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import RequestFactory
from django.utils import translation
from stdnum.cn import uscc

from tongban.core import views
from tongban.core.models import Organisation, OrganisationKind, Region, RegionLevel

EXTERNAL_URL = re.compile(r"""(?:https?:)?//(?!(?:127\.0\.0\.1|localhost)[:/"'])[^\s"'<>]+""")
# XML namespaces name a vocabulary, they are never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg"}


def _external_urls(html: str) -> list[str]:
    return [url for url in EXTERNAL_URL.findall(html) if url not in NAMESPACES]


def _credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


@pytest.fixture(autouse=True)
def _chinese_after_each_test():
    """LocaleMiddleware leaves the last request's language active in this thread; don't let English leak out."""
    yield
    translation.deactivate()


@pytest.mark.django_db
def test_home_is_chinese_with_toolbar_hotline_and_no_external_resources(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert '<a class="skip-link" href="#main">跳到主要内容</a>' in html
    assert '<main id="main" class="wrap" tabindex="-1">' in html
    for label in ("关怀模式", "显示设置", ">大<", ">中<", ">小<", "高对比度", "护眼绿", "杏仁黄", "English"):
        assert label in html
    assert 'href="tel:12345"' in html
    assert 'href="/admin/"' in html
    assert 'href="/api/v1/docs"' in html
    assert "onclick" not in html
    assert "<script>" not in html
    assert _external_urls(html) == []


@pytest.mark.django_db
def test_home_shows_region_and_service_points_in_six_queries(client, county, django_assert_num_queries):
    town = Region.objects.create(code="330122100", name="城南街道", level=RegionLevel.TOWN, parent=county)
    Organisation.objects.create(
        name="桐庐县政务服务中心",
        uscc=_credit_code("11330122000000001"),
        kind=OrganisationKind.SERVICE_HALL,
        region=county,
        phone="0571-6461 2345",
        address="桐庐县迎春南路 1 号",
        opening_hours="周一至周五 8:30-12:00，13:30-17:00",
    )
    Organisation.objects.create(
        name="城南街道便民服务中心",
        uscc=_credit_code("11330122000000002"),
        kind=OrganisationKind.TOWN_OFFICE,
        region=town,
    )
    Organisation.objects.create(
        name="桐庐县市场监督管理局",
        uscc=_credit_code("11330122000000003"),
        kind=OrganisationKind.DEPARTMENT,
        region=county,
    )
    Organisation.objects.create(
        name="已停用的大厅",
        uscc=_credit_code("11330122000000004"),
        kind=OrganisationKind.SERVICE_HALL,
        region=county,
        active=False,
    )
    # Region, service points, and the portal's region chooser, themes, departments and most-used items.
    with django_assert_num_queries(6):
        html = client.get("/").content.decode()
    assert '服务地区：<span lang="zh-Hans">浙江省 杭州市 桐庐县</span>' in html
    assert "为桐庐县的群众和企业提供政务服务" in html
    places = re.findall(r"<h3>([^<]+)</h3>", html.split('id="places-title"')[1].split("</section>")[0])
    assert places == ["桐庐县政务服务中心", "城南街道便民服务中心"]
    assert '<a href="tel:057164612345">0571-6461 2345</a>' in html
    assert "周一至周五 8:30-12:00，13:30-17:00" in html


@pytest.mark.django_db
def test_home_without_service_points_says_how_to_find_one(client):
    html = client.get("/").content.decode()
    assert "办事地点还没有录入本平台" in html
    assert "服务地区" not in html


@pytest.mark.django_db
def test_display_preferences_without_javascript_set_cookies_and_render_classes(client):
    response = client.post("/display-preferences", {"care": "1", "next": "/?a=1"})
    assert response.status_code == 303
    assert response["Location"] == "/?a=1"
    assert response.cookies["tb_care"].value == "1"
    assert response.cookies["tb_care"]["samesite"] == "Lax"
    assert "tb_font" not in response.cookies

    client.post("/display-preferences", {"font": "l", "next": "/"})
    client.post("/display-preferences", {"theme": "contrast", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans" class="font-l care theme-contrast">' in html
    assert re.search(r'name="care" value="0"\s+aria-pressed="true"', html)
    assert 'name="font" value="l" aria-pressed="true"' in html
    assert 'name="theme" value="contrast" aria-pressed="true"' in html


@pytest.mark.django_db
def test_display_preferences_ignore_bad_values_and_foreign_redirects(client):
    response = client.post(
        "/display-preferences", {"font": "xxl", "theme": "<script>", "next": "https://evil.example/"}
    )
    assert response.status_code == 303
    assert response["Location"] == "/"
    assert dict(response.cookies) == {}
    client.cookies["tb_font"] = "huge"
    client.cookies["tb_theme"] = '"><script>'
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html


@pytest.mark.django_db
def test_display_preferences_only_accept_post(client):
    assert client.get("/display-preferences").status_code == 405


@pytest.mark.django_db
def test_switch_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert '<h2 id="help-title">Help by phone</h2>' in html
    assert "Skip to main content" in html
    assert "Care mode" in html
    assert 'value="zh-hans" lang="zh-Hans">中文</button>' in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert '<h2 id="help-title">电话咨询</h2>' in html


@pytest.mark.django_db
def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_when_migrations_are_applied(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.django_db
def test_unknown_page_is_a_chinese_404_with_a_way_home(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in html
    assert '<a href="/">返回首页</a>' in html
    assert 'href="tel:12345"' in html


@pytest.mark.django_db
def test_unknown_page_in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/no-such-page/").content.decode()
    assert "<h1>Page not found</h1>" in html


@pytest.mark.django_db
def test_403_page_is_chinese():
    request = RequestFactory().get("/secret")
    with translation.override("zh-hans"):
        response = views.error_403(request, PermissionDenied())
    assert response.status_code == 403
    assert "<h1>无权访问</h1>" in response.content.decode()


def test_500_page_renders_without_the_database(monkeypatch):
    """No django_db mark: any query from the 500 page (a context processor, a selector) would fail this test."""

    def refuse(*args, **kwargs):
        raise AssertionError("500 页面不应访问数据库")

    monkeypatch.setattr(connection, "cursor", refuse)
    request = RequestFactory().get("/boom")
    request.request_id = "abc123"
    with translation.override("zh-hans"):
        response = views.error_500(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>系统暂时出错</h1>" in html
    assert "<code>abc123</code>" in html
    assert 'href="tel:12345"' in html


@pytest.mark.django_db
def test_admin_login_is_chinese(client):
    # The admin signs in through the platform's sign-in page (password, then the staff second factor).
    response = client.get("/admin/login/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert response.redirect_chain == [("/accounts/sign-in/?next=%2Fadmin%2F", 302)]
    assert '<html lang="zh-hans"' in html
    assert "<h1>登录</h1>" in html


@pytest.mark.django_db
def test_api_docs_use_local_swagger_ui_only(client):
    response = client.get("/api/v1/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/ninja/swagger-ui-bundle.js"></script>' in html
    assert '<link type="text/css" rel="stylesheet" href="/static/ninja/swagger-ui.css">' in html
    assert _external_urls(html) == []
    settings_json = html.split('id="swagger-settings">')[1].split("</script>")[0]
    assert json.loads(settings_json)["validatorUrl"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/static/css/tongban.css", "/static/js/shell.js", "/static/img/favicon.svg", "/static/ninja/swagger-ui-bundle.js"],
)
def test_shell_and_swagger_assets_are_served_locally(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) > 100


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_times_display_as_yyyy_mm_dd_hh_mm_in_both_languages(language):
    from django.utils.formats import date_format

    moment = dt.datetime(2026, 10, 8, 9, 5)
    with translation.override(language):
        assert date_format(moment, "DATETIME_FORMAT") == "2026-10-08 09:05"
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == "2026-10-08 09:05"
        assert date_format(moment.date()) == "2026-10-08"


@pytest.mark.django_db
def test_refused_service_shows_its_message_on_the_403_page_with_a_way_back():
    from tongban.core.errors import CoreError, DomainError, DomainErrorMiddleware

    request = RequestFactory().get("/somewhere", HTTP_REFERER="http://testserver/before")
    with translation.override("zh-hans"):
        response = DomainErrorMiddleware(lambda r: None).process_exception(
            request, DomainError(CoreError.PERMISSION_DENIED)
        )
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>无权访问</h1>" in html
    assert "<p>您没有权限执行此操作</p>" in html
    assert '<a href="http://testserver/before">返回上一页</a>' in html


@pytest.mark.django_db
def test_stale_form_gets_a_plain_chinese_page_not_djangos_csrf_page():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/display-preferences", {"care": "1", "next": "/"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>无权访问</h1>" in html
    assert "页面已过期。请返回上一页，刷新后再提交一次。" in html
    assert "CSRF" not in html

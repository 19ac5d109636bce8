"""Typed errors mapped once: to the API error body and to pages. This module is also the test URLconf."""

import pytest
from django.http import HttpResponse
from django.urls import path
from ninja import NinjaAPI, Schema

from tongban import urls as project_urls
from tongban.core.errors import CoreError, DomainError, install_error_handlers

throwaway_api = NinjaAPI(urls_namespace="test-errors-api", docs_url=None, openapi_url=None)
install_error_handlers(throwaway_api)


class Amount(Schema):
    count: int


@throwaway_api.get("/conflict")
def api_conflict(request):
    raise DomainError(CoreError.CONFLICT)


@throwaway_api.get("/invalid")
def api_invalid(request):
    raise DomainError(CoreError.INVALID_INPUT, "身份证号码校验位错误", fields={"id_number": ["校验位错误"]})


@throwaway_api.post("/amount")
def api_amount(request, body: Amount):
    return {"count": body.count}


def page_raising(code: CoreError, detail=None, fields=None):
    def view(request):
        raise DomainError(code, detail, fields=fields)

    return view


def page_value_error(request):
    raise ValueError("not a domain error")


def page_ok(request):
    return HttpResponse("ok")


urlpatterns = [
    path("test-api/", throwaway_api.urls),
    path("test/not-found", page_raising(CoreError.NOT_FOUND)),
    path("test/denied", page_raising(CoreError.PERMISSION_DENIED)),
    path("test/conflict", page_raising(CoreError.CONFLICT)),
    path("test/region", page_raising(CoreError.REGION_NOT_FOUND)),
    path(
        "test/invalid",
        page_raising(CoreError.INVALID_INPUT, "申请材料不完整", {"materials": ["缺少营业执照", "缺少法人身份证明"]}),
    ),
    path("test/value-error", page_value_error),
    path("test/ok", page_ok),
    *project_urls.urlpatterns,
]
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def test_error_codes_are_stable_and_carry_status_and_message():
    assert CoreError.CONFLICT.code == "core.conflict"
    assert CoreError.CONFLICT.status == 409
    assert str(CoreError.CONFLICT.message) == "该记录已被他人修改，请刷新后重试"


def test_api_body_for_a_domain_error(client):
    response = client.get("/test-api/conflict", HTTP_X_REQUEST_ID="req-1234")
    assert response.status_code == 409
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "code": "core.conflict",
        "message": "该记录已被他人修改，请刷新后重试",
        "request_id": "req-1234",
    }


def test_api_body_carries_detail_and_field_errors(client):
    response = client.get("/test-api/invalid", HTTP_X_REQUEST_ID="req-5678")
    assert response.status_code == 400
    assert response.json() == {
        "code": "core.invalid_input",
        "message": "身份证号码校验位错误",
        "fields": {"id_number": ["校验位错误"]},
        "request_id": "req-5678",
    }


def test_api_validation_errors_use_the_same_body(client):
    response = client.post(
        "/test-api/amount", data={"count": "many"}, content_type="application/json", HTTP_X_REQUEST_ID="req-9"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "core.invalid_input"
    assert body["message"] == "提交的信息有误，请检查后重试"
    assert body["fields"] == {"count": ["请输入整数"]}
    assert body["request_id"] == "req-9"


def test_api_missing_field_message_is_chinese(client):
    response = client.post("/test-api/amount", data={}, content_type="application/json")
    assert response.json()["fields"] == {"count": ["此项为必填项"]}


def test_not_found_error_on_a_page_shows_the_404_page(client):
    response = client.get("/test/not-found")
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    assert "页面不存在" in response.content.decode()
    assert response.context["error_message"] == "您要找的内容不存在或已被删除"


def test_any_404_code_uses_the_404_page(client):
    response = client.get("/test/region")
    assert response.status_code == 404
    assert response.context["error_code"] == "core.region_not_found"
    assert response.context["error_message"] == "行政区划不存在"


def test_permission_error_on_a_page_shows_the_403_page(client):
    response = client.get("/test/denied")
    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    assert "无权访问" in response.content.decode()


def test_other_errors_render_the_message_with_the_request_id(client):
    response = client.post("/test/conflict", HTTP_REFERER="http://testserver/cases/7/")
    assert response.status_code == 409
    html = response.content.decode()
    assert response.templates[0].name == "core/domain_error.html"
    assert "该记录已被他人修改，请刷新后重试" in html
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert f"<code>{request_id}</code>" in html
    assert '<a href="http://testserver/cases/7/">返回上一页</a>' in html


def test_detail_and_field_errors_are_shown(client):
    html = client.get("/test/invalid").content.decode()
    assert "申请材料不完整" in html
    assert "<li>缺少营业执照</li><li>缺少法人身份证明</li>" in html
    assert "提交的信息有误" not in html


def test_a_foreign_referer_is_not_offered_as_the_way_back(client):
    html = client.get("/test/conflict", HTTP_REFERER="https://evil.example/phish").content.decode()
    assert "evil.example" not in html
    assert "返回上一页" not in html


def test_other_exceptions_are_left_to_the_500_handler(client):
    client.raise_request_exception = False
    response = client.get("/test/value-error")
    assert response.status_code == 500
    assert "系统暂时出错" in response.content.decode()


def test_pages_without_errors_are_untouched(client):
    response = client.get("/test/ok")
    assert (response.status_code, response.content) == (200, b"ok")


def test_htmx_requests_get_the_message_swapped_into_main(client):
    response = client.post("/test/invalid", HTTP_HX_REQUEST="true", HTTP_X_REQUEST_ID="req-htmx")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#main"
    assert response["HX-Reswap"] == "innerHTML"
    assert response["X-Error-Code"] == "core.invalid_input"
    html = response.content.decode()
    assert html.startswith('<div class="alert alert-error" role="alert">')
    assert "申请材料不完整" in html
    assert "<code>req-htmx</code>" in html
    assert "<html" not in html

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_pages_stay_chinese_when_the_browser_asks_for_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.django_db
def test_pages_follow_the_language_switch_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert client.get("/").headers["Content-Language"] == "zh-hans"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "message"),
    [("", "行政区划不存在"), ("en", "The region does not exist")],
)
def test_api_errors_follow_accept_language(client, accept, message):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.get("/api/v1/core/regions/999999", **headers)
    assert response.status_code == 404
    assert response.json()["message"] == message

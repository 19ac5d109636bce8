"""Sessions (已登录的设备) with revoke, the middleware's check once in five minutes, and sign-in history (登录记录)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tongban.accounts import signin
from tongban.accounts.models import SignInAttempt, UserKind, UserSession
from tongban.accounts.services import user_create
from tongban.accounts.tests.signin_helpers import PASSWORD, PHONE, T0
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
    " Edg/126.0"
)


@pytest.fixture
def person():
    return user_create(
        actor=None, kind=UserKind.PERSON, username="zhangsan", display_name="张三", password=PASSWORD, phone=PHONE
    )


def _browser(user_agent: str, ip: str) -> Client:
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    response = browser.post(reverse("accounts:sign_in_password"), {"login": "zhangsan", "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_security_page_lists_both_browsers_and_marks_this_one(person):
    phone, desktop = _browser(ANDROID, "203.0.113.7"), _browser(WINDOWS, "198.51.100.9")
    page = phone.get(reverse("accounts:security")).content.decode()
    assert "Chrome · Android" in page and "Edge · Windows" in page
    assert "203.0.113.7" in page and "198.51.100.9" in page
    assert page.count("当前会话") == 1
    other = UserSession.objects.get(ip="198.51.100.9")
    assert reverse("accounts:session_revoke", args=[other.pk]) in page
    this = UserSession.objects.get(ip="203.0.113.7")
    assert reverse("accounts:session_revoke", args=[this.pk]) not in page
    assert desktop.session[SESSION_KEY] == str(person.pk)


def test_revoking_the_other_browser_signs_it_out(person):
    phone, desktop = _browser(ANDROID, "203.0.113.7"), _browser(WINDOWS, "198.51.100.9")
    other = UserSession.objects.get(ip="198.51.100.9")
    url = reverse("accounts:session_revoke", args=[other.pk])
    confirm = phone.get(url).content.decode()
    assert "确定让该设备退出登录吗？" in confirm and "Edge · Windows" in confirm
    other.refresh_from_db()
    assert other.ended_at is None  # the GET only asks

    response = phone.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:security")
    other.refresh_from_db()
    assert other.ended_at is not None
    assert AuditEntry.objects.get(action="user_session.revoke").object_id == str(other.pk)
    # The desktop is signed out on its next request; the phone is not.
    response = desktop.get(reverse("accounts:security"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sign_in"))
    assert phone.get(reverse("accounts:security")).status_code == 200


def test_someone_elses_session_is_not_found_and_unchanged(person):
    stranger = user_create(
        actor=None, kind=UserKind.PERSON, username="lisi", display_name="李四", password=PASSWORD, phone="13900139000"
    )
    _browser(ANDROID, "203.0.113.7")
    theirs = UserSession.objects.get(user=person)
    intruder = Client()
    intruder.force_login(stranger)
    assert intruder.get(reverse("accounts:session_revoke", args=[theirs.pk])).status_code == 404
    assert intruder.post(reverse("accounts:session_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.ended_at is None
    assert not AuditEntry.objects.filter(action="user_session.revoke").exists()


def test_middleware_records_activity_at_most_once_in_five_minutes(person):
    assert timedelta(minutes=5) == signin.SESSION_CHECK_INTERVAL
    browser = _browser(ANDROID, "203.0.113.7")
    session = UserSession.objects.get()
    start = session.last_seen_at
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(seconds=299)):
        browser.get("/")
    session.refresh_from_db()
    assert session.last_seen_at == start
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(seconds=301)):
        browser.get("/")
    session.refresh_from_db()
    assert session.last_seen_at == start + timedelta(seconds=301)


def test_middleware_signs_out_a_session_ended_elsewhere(person):
    """The backstop for session stores that cannot delete: the row says ended, the store still has the session."""
    browser = _browser(ANDROID, "203.0.113.7")
    session = UserSession.objects.get()
    UserSession.objects.filter(pk=session.pk).update(ended_at=timezone.now())
    with mock.patch("django.utils.timezone.now", return_value=session.last_seen_at + timedelta(seconds=301)):
        browser.get("/")
    assert SESSION_KEY not in browser.session


def test_sign_in_history_keeps_the_last_50_and_pages_by_10(person):
    for i in range(55):
        SignInAttempt.objects.create(
            user=person,
            account_key="k",
            method="password",
            succeeded=i % 2 == 0,
            reason="" if i % 2 == 0 else "wrong_password",
            ip="203.0.113.7",
            user_agent=ANDROID,
            created_at=T0 + timedelta(minutes=i),
        )
    history = signin.sign_in_history(person)
    assert len(history) == 50
    assert history[0].created_at == T0 + timedelta(minutes=54) and history[-1].created_at == T0 + timedelta(minutes=5)
    browser = Client()
    browser.force_login(person)
    page = browser.get(reverse("accounts:security")).content.decode()
    assert "第 1 页，共 5 页" in page and page.count("<dt>方式</dt>") == 10
    page = browser.get(reverse("accounts:security") + "?page=5").content.decode()
    assert "第 5 页，共 5 页" in page and "2026-03-02 10:05:00" in page and "2026-03-02 10:04:00" not in page


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (ANDROID, "Chrome · Android"),
        (WINDOWS, "Edge · Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        ("Mozilla/5.0 (Linux; Android 13) MicroMessenger/8.0.40", "微信 · Android"),
        ("python-requests/2.32.3", "python-requests/2.32.3"),
        ("", "未知设备"),
    ],
)
def test_device_summary(user_agent, summary):
    assert signin.device_summary(user_agent) == summary

"""我的消息: a person sees their own messages (and their enterprise's when allowed), newest first, unread marked;
marks one read; cannot see or change anyone else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from tongban.accounts.acting import SESSION_KEY
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.core.models import AuditEntry
from tongban.notifications import selectors
from tongban.notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tongban.notifications.tests.urls")]
LIST = "/messages/"


def message(recipient, title: str, minutes_ago: int = 0, link: str = "/cases/mine/x/", read: bool = False) -> Message:
    created = Message.objects.create(
        recipient=recipient, topic="case.received", title=title, body=f"{title}正文", link=link
    )
    moment = timezone.now() - dt.timedelta(minutes=minutes_ago)
    Message.objects.filter(pk=created.pk).update(created_at=moment, read_at=moment if read else None)
    created.refresh_from_db()
    return created


def signed_in(client, person, enterprise=None):
    client.force_login(person)
    if enterprise is not None:
        session = client.session
        session[SESSION_KEY] = enterprise.pk
        session.save()
    return client


def titles(response) -> list[str]:
    return [m.title for m in response.context["page"].object_list]


def read_audits(message_: Message) -> int:
    return AuditEntry.objects.filter(action="notifications.message.read", object_id=str(message_.pk)).count()


def test_list_shows_own_messages_newest_first_with_unread_marked(client, applicants, django_assert_num_queries):
    li, sun = applicants["li"], applicants["sun"]
    message(li, "较早的消息", minutes_ago=30, read=True)
    message(li, "最新的消息", minutes_ago=1)
    message(sun, "别人的消息")
    signed_in(client, li)
    client.get(LIST)  # warm the session and the middleware's lookups
    with django_assert_num_queries(6):  # session, user, the shell's region, header unread count, count, page
        response = client.get(LIST)
    assert response.status_code == 200
    assert titles(response) == ["最新的消息", "较早的消息"]
    html = response.content.decode()
    assert '<h2 class="item-title">最新的消息<span class="tag">未读</span></h2>' in html
    assert '<h2 class="item-title">较早的消息</h2>' in html
    assert "别人的消息" not in html
    assert html.count(">标为已读<") == 1


def test_list_is_paginated(client, applicants):
    li = applicants["li"]
    for n in range(25):
        message(li, f"消息{n:02d}", minutes_ago=n)
    signed_in(client, li)
    first = client.get(LIST)
    assert titles(first) == [f"消息{n:02d}" for n in range(20)]
    assert "第 1 页，共 2 页" in first.content.decode()
    assert titles(client.get(LIST, {"page": 2})) == [f"消息{n:02d}" for n in range(20, 25)]
    assert titles(client.get(LIST, {"page": "abc"})) == titles(first)


def test_empty_list_explains(client, applicants):
    response = signed_in(client, applicants["li"]).get(LIST)
    assert "您还没有消息" in response.content.decode()


def test_mark_read_then_back_to_the_same_page(client, applicants):
    li = applicants["li"]
    unread = message(li, "受理通知")
    signed_in(client, li)
    response = client.post(f"/messages/{unread.pk}/read", {"next": "/messages/?page=2"})
    assert response.status_code == 302 and response["Location"] == "/messages/?page=2"
    unread.refresh_from_db()
    assert unread.read_at is not None and read_audits(unread) == 1
    read_at = unread.read_at
    client.post(f"/messages/{unread.pk}/read")  # marking again changes nothing
    unread.refresh_from_db()
    assert unread.read_at == read_at and read_audits(unread) == 1


def test_open_marks_read_and_follows_the_link(client, applicants):
    li = applicants["li"]
    linked = message(li, "补正通知", link="/cases/mine/abc/")
    response = signed_in(client, li).post(f"/messages/{linked.pk}/read", {"open": "1"})
    assert response["Location"] == "/cases/mine/abc/"
    linked.refresh_from_db()
    assert linked.read_at is not None


@pytest.mark.parametrize("link", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_open_never_leaves_the_site(client, applicants, link):
    li = applicants["li"]
    linked = message(li, "通知", link=link)
    response = signed_in(client, li).post(f"/messages/{linked.pk}/read", {"open": "1", "next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_another_persons_message_is_not_found_and_unchanged(client, applicants):
    li, sun = applicants["li"], applicants["sun"]
    theirs = message(sun, "孙丽华的消息")
    signed_in(client, li)
    response = client.post(f"/messages/{theirs.pk}/read", {"open": "1"})
    assert response.status_code == 404
    assert "消息不存在，或不是发给您的" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None and read_audits(theirs) == 0
    assert client.post("/messages/999999/read").status_code == 404


def test_signed_out_is_sent_to_sign_in_and_get_cannot_mark(client, applicants):
    mine = message(applicants["li"], "消息")
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/")
    assert client.post(f"/messages/{mine.pk}/read").status_code == 302
    signed_in(client, applicants["li"])
    assert client.get(f"/messages/{mine.pk}/read").status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_representative_acting_for_the_enterprise_sees_its_messages(client, applicants):
    sun, firm = applicants["sun"], applicants["firm"]
    message(sun, "个人消息", minutes_ago=5)
    firm_message = message(firm, "企业消息一则", minutes_ago=1)
    signed_in(client, sun)
    assert titles(client.get(LIST)) == ["个人消息"]
    signed_in(client, sun, enterprise=firm)
    response = client.get(LIST)
    assert titles(response) == ["企业消息一则", "个人消息"]
    assert client.post(f"/messages/{firm_message.pk}/read").status_code == 302
    firm_message.refresh_from_db()
    assert firm_message.read_at is not None


def test_agent_with_a_limited_scope_does_not_see_the_enterprise_messages(client, applicants):
    wu, firm = applicants["wu"], applicants["firm"]
    firm_message = message(firm, "企业消息")
    own = message(wu, "吴晓燕的消息")
    signed_in(client, wu, enterprise=firm)
    assert titles(client.get(LIST)) == [own.title]
    assert client.post(f"/messages/{firm_message.pk}/read").status_code == 404
    firm_message.refresh_from_db()
    assert firm_message.read_at is None


def test_header_count_of_unread(applicants):
    li = applicants["li"]
    message(li, "未读一", minutes_ago=2)
    message(li, "未读二", minutes_ago=1)
    message(li, "已读", read=True)
    request = RequestFactory().get("/")
    request.user, request.acting_identity = li, None
    html = Template('{% include "notifications/_header_link.html" %}').render(Context({"request": request}))
    assert html.strip() == (
        '<li><a href="/messages/">我的消息 <span class="tag">2'
        '<span class="visually-hidden">条未读</span></span></a></li>'
    )
    assert selectors.unread_count(li, None) == 2


def test_header_count_is_kept_until_a_message_is_sent_or_read(
    applicants, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Outside a transaction (production) each account's unread count is kept in the cache (UNREAD_TTL seconds);
    sending or reading a message forgets it once the change commits."""
    from tongban.notifications.services import message_mark_read, notify

    li = applicants["li"]
    first = message(li, "未读一")
    monkeypatch.setattr(selectors, "_in_transaction", lambda: False)
    with django_assert_num_queries(1):
        assert selectors.unread_count(li, None) == 1
    with django_assert_num_queries(0):
        assert selectors.unread_count(li, None) == 1
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[li], topic="case.received", title="受理通知", body="已受理", sms=False)
    with django_assert_num_queries(1):
        assert selectors.unread_count(li, None) == 2
    with django_capture_on_commit_callbacks(execute=True):
        message_mark_read(actor=li, message=first)
    assert selectors.unread_count(li, None) == 1
    assert selectors.unread_count(AnonymousUser(), None) == 0


def test_kept_header_count_of_a_legal_representative_adds_the_enterprise_messages(applicants, monkeypatch):
    from tongban.accounts.enterprises import acting_identity_for

    sun, firm = applicants["sun"], applicants["firm"]
    message(sun, "个人消息")
    message(firm, "企业消息一")
    message(firm, "企业消息二")
    monkeypatch.setattr(selectors, "_in_transaction", lambda: False)
    assert selectors.unread_count(sun, None) == 1
    assert selectors.unread_count(sun, acting_identity_for(sun, firm.pk)) == 3

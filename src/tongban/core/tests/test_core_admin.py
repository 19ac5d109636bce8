import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tongban.core import audit, calendar, services
from tongban.core.models import (
    AuditEntry,
    CalendarDay,
    CalendarYear,
    HallWindow,
    Organisation,
    OutboxMessage,
    Region,
    RegionLevel,
)
from tongban.core.tests.identifiers import uscc

MODELS = ["region", "organisation", "hallwindow", "calendarday", "calendaryear", "serialcounter", "auditentry"]


@pytest.fixture
def county(db):
    services.region_create(actor=None, code="330100", name="杭州市")
    return services.region_create(actor=None, code="330106", name="西湖区")


def _url(model: str, view: str = "changelist", *args) -> str:
    return reverse(f"admin:core_{model}_{view}", args=args)


def _last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).order_by("-id").first()


@pytest.mark.django_db
@pytest.mark.parametrize("model", [*MODELS, "outboxmessage"])
def test_every_core_model_has_a_chinese_changelist(admin_client, model):
    response = admin_client.get(_url(model))
    assert response.status_code == 200
    assert "管理后台" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["auditentry", "outboxmessage", "serialcounter"])
def test_logs_and_counters_cannot_be_added_changed_or_deleted(admin_client, model):
    assert admin_client.get(_url(model, "add")).status_code == 403
    assert _url(model, "add") not in admin_client.get(_url(model)).content.decode()


@pytest.mark.django_db
def test_audit_entry_is_view_only_even_for_a_superuser(admin_client, admin_user):
    with transaction.atomic():
        entry = audit.record(actor=admin_user, action="test.thing", object_type="x", object_id="1", after={"a": 1})
    page = admin_client.get(_url("auditentry"))
    assert "test.thing" in page.content.decode() and "admin" in page.content.decode()
    detail = admin_client.get(_url("auditentry", "change", entry.pk))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.post(_url("auditentry", "change", entry.pk), {"action": "x"}).status_code == 403
    assert admin_client.post(_url("auditentry", "delete", entry.pk), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.thing"


@pytest.mark.django_db
def test_outbox_list_shows_messages(admin_client):
    OutboxMessage.objects.create(topic="notify.sms", payload={}, available_at=timezone.now())
    assert "notify.sms" in admin_client.get(_url("outboxmessage")).content.decode()


# ------------------------------------------------------------------ regions


def test_region_add_and_change_go_through_the_services(admin_client, admin_user, county):
    response = admin_client.post(_url("region", "add"), {"code": "330106001", "name": "北山街道", "active": "on"})
    assert response.status_code == 302
    town = Region.objects.get(code="330106001")
    assert (town.level, town.parent_id) == (RegionLevel.TOWN, county.pk)
    assert (_last("region.create").actor_id, _last("region.create").object_id) == (admin_user.pk, str(town.pk))

    response = admin_client.post(_url("region", "change", town.pk), {"name": "北山街道办事处"})
    assert response.status_code == 302
    entry = _last("region.update")
    assert (entry.actor_id, entry.before, entry.after) == (
        admin_user.pk,
        {"name": "北山街道", "active": True},
        {"name": "北山街道办事处", "active": False},
    )


def test_region_add_with_a_bad_code_shows_a_chinese_error_and_saves_nothing(admin_client, county):
    before = (Region.objects.count(), AuditEntry.objects.count())
    response = admin_client.post(_url("region", "add"), {"code": "330106000", "name": "某街道", "active": "on"})
    assert response.status_code == 200
    assert "区划代码“330106000”的第 7 至 9 位（乡镇/街道代码）不能为 000" in response.content.decode()
    assert (Region.objects.count(), AuditEntry.objects.count()) == before


def test_region_delete_is_audited(admin_client, admin_user, county):
    response = admin_client.post(_url("region", "delete", county.pk), {"post": "yes"})
    assert response.status_code == 302
    entry = _last("region.delete")
    assert (entry.actor_id, entry.object_id, entry.before["code"]) == (admin_user.pk, str(county.pk), "330106")


# ------------------------------------------------------------------ organisations


def _organisation_form(county, **overrides) -> dict:
    data = {
        "name": "西湖区政务服务中心",
        "short_name": "",
        "uscc": uscc("11330106000000020").lower(),
        "kind": "service_hall",
        "region": county.pk,
        "parent": "",
        "active": "on",
        "phone": "0571-87000000",
        "address": "",
        "opening_hours": "",
        "windows-TOTAL_FORMS": "1",
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
        "windows-0-number": "01",
        "windows-0-name": "综合受理窗口",
        "windows-0-kind": "acceptance",
        "windows-0-active": "on",
    }
    return data | overrides


def test_organisation_add_and_change_are_audited_with_windows(admin_client, admin_user, county):
    response = admin_client.post(_url("organisation", "add"), _organisation_form(county))
    assert response.status_code == 302, response.content.decode()
    hall = Organisation.objects.get()
    assert hall.uscc == uscc("11330106000000020")
    assert _last("organisation.create").actor_id == admin_user.pk
    window = HallWindow.objects.get(hall=hall)
    assert _last("hallwindow.create").object_id == str(window.pk)

    change = _organisation_form(
        county,
        phone="0571-88888888",
        **{
            "windows-INITIAL_FORMS": "1",
            "windows-0-id": str(window.pk),
            "windows-0-hall": str(hall.pk),
            "windows-0-name": "综合受理一号窗口",
        },
    )
    response = admin_client.post(_url("organisation", "change", hall.pk), change)
    assert response.status_code == 302, response.content.decode()
    entry = _last("organisation.update")
    assert (entry.before, entry.after) == ({"phone": "0571-87000000"}, {"phone": "0571-88888888"})
    window_entry = _last("hallwindow.update")
    assert (window_entry.before["name"], window_entry.after["name"]) == ("综合受理窗口", "综合受理一号窗口")

    delete = change | {"windows-0-DELETE": "on"}
    assert admin_client.post(_url("organisation", "change", hall.pk), delete).status_code == 302
    assert HallWindow.objects.count() == 0
    assert _last("hallwindow.delete").object_id == str(window.pk)


def test_organisation_add_with_bad_code_saves_nothing(admin_client, county):
    before = (Organisation.objects.count(), AuditEntry.objects.count())
    response = admin_client.post(_url("organisation", "add"), _organisation_form(county, uscc="123"))
    assert response.status_code == 200
    assert "统一社会信用代码应为 18 位" in response.content.decode()
    assert (Organisation.objects.count(), AuditEntry.objects.count()) == before


# ------------------------------------------------------------------ calendar


@pytest.mark.django_db
def test_calendar_day_edits_are_audited_and_reach_the_calendar(admin_client, admin_user):
    day = "2026-12-31"
    assert calendar.is_working_day(timezone.datetime(2026, 12, 31).date()) is True
    response = admin_client.post(_url("calendarday", "add"), {"date": day, "kind": "holiday", "name": "地方假日"})
    assert response.status_code == 302
    created = CalendarDay.objects.get()
    assert (_last("calendarday.create").actor_id, _last("calendarday.create").after["name"]) == (
        admin_user.pk,
        "地方假日",
    )
    assert calendar.is_working_day(created.date) is False

    response = admin_client.post(
        _url("calendarday", "change", created.pk), {"date": day, "kind": "workday", "name": ""}
    )
    assert response.status_code == 302
    entry = _last("calendarday.update")
    assert (entry.before["kind"], entry.after["kind"]) == ("holiday", "workday")

    assert admin_client.post(_url("calendarday", "delete", created.pk), {"post": "yes"}).status_code == 302
    assert _last("calendarday.delete").before["date"] == day
    assert CalendarDay.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["calendarday", "calendaryear"])
def test_calendar_changelist_warns_when_next_year_is_missing(admin_client, model):
    next_year = timezone.localdate().year + 1
    warning = f"{next_year} 年的节假日安排尚未录入"
    assert warning in admin_client.get(_url(model)).content.decode()
    CalendarYear.objects.create(year=next_year, source="国务院办公厅通知")
    assert warning not in admin_client.get(_url(model)).content.decode()

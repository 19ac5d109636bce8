import pytest
from django.test import Client

from tongban.core import calendar, services
from tongban.core.models import CalendarDay, CalendarYear, OrganisationKind
from tongban.core.tests.identifiers import uscc

API = "/api/v1/core"


@pytest.fixture
def client():
    return Client(HTTP_X_REQUEST_ID="req-1")


@pytest.fixture
def regions(db):
    for code, name in [("330000", "浙江省"), ("330100", "杭州市"), ("330106", "西湖区"), ("330106001", "北山街道")]:
        services.region_create(actor=None, code=code, name=name)
    abolished = services.region_create(actor=None, code="330103", name="下城区")
    services.region_update(actor=None, region=abolished, active=False)


@pytest.fixture
def organisations(regions):
    from tongban.core.models import Region

    county = Region.objects.get(code="330106")
    town = Region.objects.get(code="330106001")
    bureau = services.organisation_create(
        actor=None, name="西湖区市场监督管理局", uscc=uscc("11330106704296351"), kind="department", region=county
    )
    station = services.organisation_create(
        actor=None,
        name="北山街道便民服务中心",
        short_name="北山便民中心",
        uscc=uscc("11330106000000020"),
        kind=OrganisationKind.TOWN_OFFICE,
        region=town,
        parent=bureau,
        phone="0571-87000001",
        address="北山路 1 号",
        opening_hours="周一至周五 9:00-17:00",
    )
    return bureau, station


def _get(client, url: str, status: int = 200):
    response = client.get(API + url)
    assert response.status_code == status, response.content
    return response.json()


def _region(code, name, level, level_name, parent, active=True):
    return {
        "code": code,
        "name": name,
        "level": level,
        "level_name": level_name,
        "parent_code": parent,
        "active": active,
    }


ZJ = _region("330000", "浙江省", 1, "省级", None)
HZ = _region("330100", "杭州市", 2, "市级", "330000")
XC = _region("330103", "下城区", 3, "县级", "330100", active=False)
XH = _region("330106", "西湖区", 3, "县级", "330100")
BS = _region("330106001", "北山街道", 4, "乡镇/街道", "330106")


def test_regions_list_and_filters(client, regions):
    assert _get(client, "/regions") == {"items": [ZJ, HZ, XC, XH, BS], "count": 5}
    assert _get(client, "/regions?parent=330100") == {"items": [XC, XH], "count": 2}
    assert _get(client, "/regions?parent=330100&active=true") == {"items": [XH], "count": 1}
    assert _get(client, "/regions?level=3") == {"items": [XC, XH], "count": 2}
    assert _get(client, "/regions?page=2&page_size=2") == {"items": [XC, XH], "count": 5}


def test_regions_list_query_count(client, regions, django_assert_num_queries):
    with django_assert_num_queries(3):  # parent id, count, page
        client.get(API + "/regions?parent=330100")


def test_region_detail_with_ancestors(client, regions):
    assert _get(client, "/regions/330106001") == BS | {
        "ancestors": [
            {"code": "330000", "name": "浙江省"},
            {"code": "330100", "name": "杭州市"},
            {"code": "330106", "name": "西湖区"},
        ]
    }


def test_region_errors(client, regions):
    assert _get(client, "/regions/330199", 404) == {
        "code": "core.region_not_found",
        "message": "行政区划不存在",
        "request_id": "req-1",
    }
    assert _get(client, "/regions?parent=999999", 404)["code"] == "core.region_not_found"
    assert _get(client, "/regions/33010", 400) == {
        "code": "core.invalid_input",
        "message": "提交的信息有误，请检查后重试",
        "fields": {"code": ["行政区划代码应为 6、9 或 12 位数字"]},
        "request_id": "req-1",
    }
    assert _get(client, "/regions?parent=abc", 400)["fields"] == {"parent": ["行政区划代码应为 6、9 或 12 位数字"]}
    assert _get(client, "/regions?page=0", 400)["code"] == "core.invalid_input"


def test_organisations_list_and_filters(client, organisations):
    bureau, station = organisations
    bureau_json = {
        "id": bureau.pk,
        "name": "西湖区市场监督管理局",
        "short_name": "",
        "uscc": bureau.uscc,
        "kind": "department",
        "kind_name": "政府部门",
        "region_code": "330106",
        "region_name": "西湖区",
        "parent_id": None,
        "phone": "",
        "address": "",
        "opening_hours": "",
    }
    station_json = {
        "id": station.pk,
        "name": "北山街道便民服务中心",
        "short_name": "北山便民中心",
        "uscc": station.uscc,
        "kind": "town_office",
        "kind_name": "乡镇（街道）便民服务中心",
        "region_code": "330106001",
        "region_name": "北山街道",
        "parent_id": bureau.pk,
        "phone": "0571-87000001",
        "address": "北山路 1 号",
        "opening_hours": "周一至周五 9:00-17:00",
    }
    assert _get(client, "/organisations") == {"items": [bureau_json, station_json], "count": 2}
    assert _get(client, "/organisations?region=330106") == {"items": [bureau_json], "count": 1}
    assert _get(client, "/organisations?region=330100&within=true") == {
        "items": [bureau_json, station_json],
        "count": 2,
    }
    assert _get(client, "/organisations?kind=town_office") == {"items": [station_json], "count": 1}
    services.organisation_update(actor=None, organisation=station, active=False)
    assert _get(client, "/organisations?region=330106&within=true") == {"items": [bureau_json], "count": 1}
    assert _get(client, "/organisations?region=110000", 404)["message"] == "行政区划不存在"
    assert _get(client, "/organisations?kind=shop", 400)["code"] == "core.invalid_input"


@pytest.fixture
def national_day(db):
    calendar.invalidate_cache()
    CalendarYear.objects.create(year=2026, source="test")
    for day in range(1, 8):
        CalendarDay.objects.create(date=f"2026-10-0{day}", kind=CalendarDay.Kind.HOLIDAY, name="国庆节")
    CalendarDay.objects.create(date="2026-10-10", kind=CalendarDay.Kind.WORKDAY, name="国庆节")


def test_calendar_endpoints(client, national_day):
    assert _get(client, "/calendar/add-working-days?start=2026-09-30&days=3") == {
        "date": "2026-10-10",
        "provisional": False,
    }
    assert _get(client, "/calendar/add-working-days?start=2026-10-03&days=0") == {
        "date": "2026-10-08",
        "provisional": False,
    }
    assert _get(client, "/calendar/add-working-days?start=2026-10-08&days=-1") == {
        "date": "2026-09-30",
        "provisional": False,
    }
    assert _get(client, "/calendar/add-working-days?start=2026-12-30&days=3") == {
        "date": "2027-01-04",
        "provisional": True,
    }
    assert _get(client, "/calendar/working-days-between?start=2026-09-30&end=2026-10-12") == {
        "days": 4,
        "provisional": False,
    }
    assert _get(client, "/calendar/working-days-between?start=2026-10-12&end=2026-09-30") == {
        "days": -4,
        "provisional": False,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("add-working-days?start=2026-9-30&days=1", "start", "日期格式应为 YYYY-MM-DD，例如 2026-10-08"),
        ("add-working-days?start=2026-02-30&days=1", "start", "日期格式应为 YYYY-MM-DD，例如 2026-10-08"),
        ("add-working-days?start=1899-12-31&days=1", "start", "日期应在 1900-01-01 至 9999-12-31 之间"),
        ("add-working-days?start=2026-09-30&days=abc", "days", "天数应为 -10000 至 10000 之间的整数"),
        ("add-working-days?start=2026-09-30&days=10001", "days", "天数应为 -10000 至 10000 之间的整数"),
        ("working-days-between?start=2026-09-30&end=tomorrow", "end", "日期格式应为 YYYY-MM-DD，例如 2026-10-08"),
    ],
)
def test_calendar_bad_input(client, query, field, message):
    assert _get(client, f"/calendar/{query}", 400) == {
        "code": "core.calendar_invalid",
        "message": message,
        "fields": {field: [message]},
        "request_id": "req-1",
    }


@pytest.mark.django_db
def test_calendar_result_past_the_last_date(client):
    assert _get(client, "/calendar/add-working-days?start=9999-12-31&days=1", 400) == {
        "code": "core.calendar_invalid",
        "message": "计算结果超出可表示的日期范围（公元 1 年至 9999 年）",
        "request_id": "req-1",
    }


@pytest.mark.django_db
def test_calendar_missing_parameter(client):
    body = _get(client, "/calendar/working-days-between?start=2026-09-30", 400)
    assert (body["code"], body["message"], list(body["fields"])) == (
        "core.invalid_input",
        "提交的信息有误，请检查后重试",
        ["end"],
    )

"""API routes of the foundation: regions, organisations, the working-day calendar.

Public and read-only: these lists hold no personal data and every other system needs them.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from tongban.core import calendar, selectors
from tongban.core.errors import CoreError, DomainError
from tongban.core.models import Organisation, OrganisationKind, Region, RegionLevel

router = Router(tags=["平台基础"])

MAX_API_DAYS = 10000
_MIN_DATE, _MAX_DATE = dt.date(1900, 1, 1), dt.date(9999, 12, 31)


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_name: str
    parent_code: str | None
    active: bool

    @staticmethod
    def resolve_level_name(region: Region) -> str:
        return str(RegionLevel(region.level).label)

    @staticmethod
    def resolve_parent_code(region: Region) -> str | None:
        return region.parent.code if region.parent_id else None


class RegionRef(Schema):
    code: str
    name: str


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRef]

    @staticmethod
    def resolve_ancestors(region: Region) -> list[dict]:
        path, node = [], region.parent
        while node is not None:
            path.append({"code": node.code, "name": node.name})
            node = node.parent
        return path[::-1]


class OrganisationOut(Schema):
    id: int
    name: str
    short_name: str
    uscc: str
    kind: str
    kind_name: str
    region_code: str
    region_name: str
    parent_id: int | None
    phone: str
    address: str
    opening_hours: str

    @staticmethod
    def resolve_kind_name(organisation: Organisation) -> str:
        return str(OrganisationKind(organisation.kind).label)

    @staticmethod
    def resolve_region_code(organisation: Organisation) -> str:
        return organisation.region.code

    @staticmethod
    def resolve_region_name(organisation: Organisation) -> str:
        return organisation.region.name


class RegionFilter(Schema):
    parent: str | None = Field(None, description="上级区划代码：只列其直接下级")
    level: RegionLevel | None = Field(None, description="层级：1 省级、2 市级、3 县级、4 乡镇/街道、5 村/社区")
    active: bool | None = Field(None, description="true 只列现行区划，false 只列已撤销区划")


class OrganisationFilter(Schema):
    region: str | None = Field(None, description="所属区划代码")
    kind: OrganisationKind | None = Field(None, description="机构类型")
    within: bool = Field(False, description="为 true 时包含下级区划的机构")


class WorkingDateOut(Schema):
    date: dt.date
    provisional: bool


class WorkingDaysOut(Schema):
    days: int
    provisional: bool


def _region_code(value: str, field: str) -> str:
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) in (6, 9, 12)):
        raise DomainError(CoreError.INVALID_INPUT, fields={field: [_("行政区划代码应为 6、9 或 12 位数字")]})
    return value


def _date(value: str, field: str) -> dt.date:
    try:
        parsed = dt.date.fromisoformat(value.strip())
    except ValueError:
        message = _("日期格式应为 YYYY-MM-DD，例如 2026-10-08")
        raise DomainError(CoreError.CALENDAR_INVALID, message, fields={field: [message]}) from None
    if not _MIN_DATE <= parsed <= _MAX_DATE:
        message = _("日期应在 1900-01-01 至 9999-12-31 之间")
        raise DomainError(CoreError.CALENDAR_INVALID, message, fields={field: [message]})
    return parsed


def _days(value: str) -> int:
    try:
        days = int(value.strip())
    except ValueError:
        days = None
    if days is None or abs(days) > MAX_API_DAYS:
        message = _("天数应为 -%(max)d 至 %(max)d 之间的整数") % {"max": MAX_API_DAYS}
        raise DomainError(CoreError.CALENDAR_INVALID, message, fields={"days": [message]})
    return days


@router.get("/regions", response=list[RegionOut], summary="行政区划列表")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_regions(request, filters: Query[RegionFilter]):
    """按代码排序；parent 为上级区划代码时只列其直接下级。"""
    parent = _region_code(filters.parent, "parent") if filters.parent is not None else None
    return selectors.region_list(parent_code=parent, level=filters.level, active=filters.active)


@router.get("/regions/{code}", response=RegionDetailOut, summary="行政区划详情")
def get_region(request, code: str):
    return selectors.region_by_code(_region_code(code, "code"))


@router.get("/organisations", response=list[OrganisationOut], summary="机构列表")
@paginate(PageNumberPagination, page_size=50, max_page_size=500)
def list_organisations(request, filters: Query[OrganisationFilter]):
    """启用的机构；region 为区划代码，within=true 时包含其下级区划的机构。"""
    region = _region_code(filters.region, "region") if filters.region is not None else None
    return selectors.organisation_list(region_code=region, kind=filters.kind, within=filters.within)


@router.get("/calendar/add-working-days", response=WorkingDateOut, summary="计算若干工作日后的日期")
def add_working_days(request, start: str, days: str):
    """start 之后第 days 个工作日（不含 start 当日）；days=0 时为 start 当日或其后第一个工作日；负数向前推算。

    provisional 为 true 表示所涉年份尚未发布节假日安排，结果仅按周末推算。
    """
    result = calendar.add_working_days(_date(start, "start"), _days(days))
    return {"date": result.date, "provisional": result.provisional}


@router.get("/calendar/working-days-between", response=WorkingDaysOut, summary="计算两个日期之间的工作日数")
def working_days_between(request, start: str, end: str):
    """(start, end] 区间内的工作日数（不含 start 当日，含 end 当日）；end 早于 start 时为负数。"""
    result = calendar.working_days_between(_date(start, "start"), _date(end, "end"))
    return {"days": result.days, "provisional": result.provisional}

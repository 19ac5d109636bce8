"""Reads for the public portal (办事大厅网页): home sections, browse lists, the chosen region, guide facts.

Everything here reads published items only (an item is published when `published_version` is set) and runs a fixed
number of queries whatever the size of the catalogue: the tests pin the counts.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Case, Count, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tongban.catalog.models import Favourite, ImplementationItem, ItemType, ItemVersion, ServiceScope, Theme
from tongban.core.models import Organisation, Region, RegionLevel

logger = logging.getLogger(__name__)

REGION_COOKIE = "tb_region"
REGION_COOKIE_MAX_AGE = 365 * 24 * 3600
MOST_USED_LIMIT = 8

# 网上办理深度 (DOMAIN.md: 1 展示 … 4 全程网办) and 到办事现场次数, in the words people use.
ONLINE_DEPTH_LABELS = {
    1: gettext_lazy("网上可查看办事指南，需到现场办理"),
    2: gettext_lazy("网上可下载表格、在线咨询，需到现场办理"),
    3: gettext_lazy("网上可提交申请和材料预审，再到现场办理"),
    4: gettext_lazy("全程网上办理"),
}
VISITS_LABELS = {0: gettext_lazy("零跑腿（不用到现场）"), 1: gettext_lazy("最多跑一次"), 2: gettext_lazy("最多跑两次")}
HANDLING_FORM_LABELS = {
    "window": gettext_lazy("窗口办理"),
    "online": gettext_lazy("网上办理"),
    "mail": gettext_lazy("邮寄办理"),
}
AUDIENCE_LABELS = {"person": gettext_lazy("个人（自然人）"), "enterprise": gettext_lazy("法人（企业和其他组织）")}
REAL_NAME_LABELS = {
    1: gettext_lazy("用手机号注册即可申请"),
    2: gettext_lazy("需先完成实名认证（在线核验姓名和身份证号）"),
    3: gettext_lazy("需到窗口核验身份证件后申请"),
}
# The level of government whose whole area a service scope covers, for "where it is valid".
SCOPE_LEVEL = {
    ServiceScope.COUNTY: RegionLevel.COUNTY,
    ServiceScope.CITY: RegionLevel.CITY,
    ServiceScope.PROVINCE: RegionLevel.PROVINCE,
}
PHONE_PATTERN = re.compile(r"(?<![\d-])(\d{3,4}-?\d{7,8}|1\d{10}|\d{5})(?![\d-])")


def published_items():
    """Implementation items with a published version, with what a list row shows (one query)."""
    return ImplementationItem.objects.filter(published_version__isnull=False).select_related(
        "published_version", "organisation"
    )


# --- Region choice (a cookie, or ?region= on any list) ---------------------------------------------------------------


REGIONS_TTL = 60.0  # seconds a process keeps the region chooser's list (regions change rarely, in the admin)
_regions: tuple[float, str, list[Region]] | None = None


def deployment_regions() -> list[Region]:
    """The deployment's county (or other region) and the towns under it, for the region chooser on every portal
    page: one query, kept by the process for REGIONS_TTL seconds. Inside a transaction (a test, a write) it is read
    fresh and not kept, as the synonym table is (catalog/search.py)."""
    global _regions
    code = settings.TONGBAN_REGION_CODE
    if not code:
        return []
    if _in_transaction():
        return _load_regions(code)
    now = _clock()
    cached = _regions
    if cached is None or cached[1] != code or now - cached[0] > REGIONS_TTL:
        cached = _regions = (now, code, _load_regions(code))
    return cached[2]


def _load_regions(code: str) -> list[Region]:
    return list(
        Region.objects.filter(active=True, code__startswith=code, level__lte=RegionLevel.TOWN)
        .exclude(level__lt=Region.level_for_code(code))
        .only("code", "name", "level")
        .order_by("code")
    )


def _clock() -> float:
    return time.monotonic()


def chosen_region_code(request, regions: list[Region]) -> str:
    """The region the reader chose: ?region= wins over the cookie; only codes of this deployment count."""
    allowed = {region.code for region in regions}
    for value in (request.GET.get("region"), request.COOKIES.get(REGION_COOKIE)):
        if value is not None:
            return value if value in allowed else ""
    return ""


def valid_in_region(region_code: str) -> Q:
    """Items a person in `region_code` can apply for: run by that region or one above it, or offered there through
    the item's service scope (全县/全市/全省/跨省通办). Codes nest by prefix (GB/T 2260)."""
    ancestors = [region_code, *Region.ancestor_codes(region_code)]
    scope = (
        Q(published_version__service_scope=ServiceScope.CROSS_PROVINCE)
        | Q(
            published_version__service_scope=ServiceScope.PROVINCE,
            organisation__region__code__startswith=region_code[:2],
        )
        | Q(published_version__service_scope=ServiceScope.CITY, organisation__region__code__startswith=region_code[:4])
    )
    if len(region_code) >= 6:
        scope |= Q(
            published_version__service_scope=ServiceScope.COUNTY,
            organisation__region__code__startswith=region_code[:6],
        )
    return Q(organisation__region__code__in=ancestors) | scope


def in_region(items, region_code: str):
    return items.filter(valid_in_region(region_code)) if region_code else items


# --- Home and browse --------------------------------------------------------------------------------------------------


def themes_by_audience() -> dict[str, list[Theme]]:
    """Themes for 个人 (life events) and 法人 (business stages), in their order (one query)."""
    grouped: dict[str, list[Theme]] = {Theme.Audience.PERSON: [], Theme.Audience.ENTERPRISE: []}
    for theme in Theme.objects.all():
        grouped.setdefault(theme.audience, []).append(theme)
    return grouped


def departments(region_code: str = "") -> list[Organisation]:
    """Organisations with published items (valid in the chosen region), each with `item_count` (one query)."""
    condition = Q(catalog_items__published_version__isnull=False)
    if region_code:
        condition &= _prefixed(valid_in_region(region_code), "catalog_items__")
    return list(
        Organisation.objects.annotate(item_count=Count("catalog_items", filter=condition, distinct=True))
        .filter(item_count__gt=0)
        .order_by("region__code", "name")
    )


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition seen from a related model (Organisation → catalog_items__…)."""
    children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1]) for child in q.children
    ]
    result = Q(*children, _connector=q.connector, _negated=q.negated)
    return result


def most_used(region_code: str = "", limit: int = MOST_USED_LIMIT) -> list[ImplementationItem]:
    """The published items people open most (use_count), for the home page (one query)."""
    return list(in_region(published_items(), region_code).order_by("-use_count", "code")[:limit])


def item_types_with_counts(region_code: str = "") -> list[tuple[str, str, int]]:
    """(code, label, number of published items) for each item type that has any (one query)."""
    rows = (
        in_region(published_items(), region_code)
        .values_list("published_version__item_type")
        .annotate(n=Count("id"))
        .order_by("published_version__item_type")
    )
    labels = dict(ItemType.choices)
    return [(code, labels.get(code, code), n) for code, n in rows]


def items_of_department(organisation_id: int, region_code: str = ""):
    return in_region(published_items(), region_code).filter(organisation_id=organisation_id).order_by("code")


def items_of_theme(theme: Theme, region_code: str = ""):
    return in_region(published_items(), region_code).filter(published_version__themes=theme).order_by("code")


def items_of_type(item_type: str, region_code: str = ""):
    return in_region(published_items(), region_code).filter(published_version__item_type=item_type).order_by("code")


def items_in_region(region_code: str):
    return in_region(published_items(), region_code).order_by("code")


# --- Guide page -------------------------------------------------------------------------------------------------------


BOT_USER_AGENT = re.compile(r"bot|spider|crawl|slurp|curl|wget|python-requests|httpx", re.IGNORECASE)
GUIDE_VIEWS_FLUSH_SECONDS = 30.0  # the longest a process holds guide views before writing them
GUIDE_CACHE_SECONDS = 300  # a rendered guide is kept this long (a rename of its organisation or theme shows after it)


class GuideViewCounter:
    """Views of guides counted in this process and written to `use_count` together, in one UPDATE at most every
    `flush_every` seconds (by the view that finds the interval passed) and when the process exits.

    A popularity counter, not a change of the item (no audit row): one UPDATE per view would commit, and wait for
    the disk, on every guide page, and make concurrent readers of a popular guide queue on its row. A process that
    dies without exiting loses at most `flush_every` seconds of views.
    """

    def __init__(self, flush_every: float = GUIDE_VIEWS_FLUSH_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.flush_every = flush_every
        self.clock = clock
        self._pending: Counter[int] = Counter()
        self._last_flush = clock()
        self._lock = threading.Lock()

    def add(self, item_id: int) -> None:
        """Count one view; write everything pending when the interval has passed."""
        with self._lock:
            self._pending[item_id] += 1
            due = self.clock() - self._last_flush >= self.flush_every
        if due:
            self.flush()

    def pending(self) -> dict[int, int]:
        with self._lock:
            return dict(self._pending)

    def discard(self) -> None:
        """Forget the pending views unwritten (a test whose database is about to be emptied)."""
        with self._lock:
            self._pending.clear()

    def flush(self) -> int:
        """Write the pending views (one UPDATE, F() so concurrent writers add up); the number of views written.
        A failed write keeps them for the next flush."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
            self._last_flush = self.clock()
        if not pending:
            return 0
        try:
            add_views(pending)
        except DatabaseError:
            logger.warning("guide views not written, kept for the next flush", exc_info=True)
            with self._lock:
                self._pending.update(pending)
            return 0
        return sum(pending.values())


def add_views(views: Mapping[int, int]) -> None:
    """use_count += n for each item id (one UPDATE)."""
    increments = Case(*(When(pk=pk, then=Value(n)) for pk, n in views.items()), default=Value(0))
    ImplementationItem.objects.filter(pk__in=list(views)).update(
        use_count=F("use_count") + ExpressionWrapper(increments, output_field=IntegerField())
    )


GUIDE_VIEWS = GuideViewCounter()
atexit.register(lambda: GUIDE_VIEWS.flush())


def _in_transaction() -> bool:
    return connection.in_atomic_block


def guide_viewed(item: ImplementationItem, *, user_agent: str) -> None:
    """Count a person's view of a guide towards "most used" (crawlers are not counted): buffered in GUIDE_VIEWS, no
    SQL on most views. Inside a transaction (a test, a write) it is one UPDATE at once: a buffered view could outlive
    a rollback of the rows it names."""
    if BOT_USER_AGENT.search(user_agent):
        return
    if _in_transaction():
        add_views({item.pk: 1})
    else:
        GUIDE_VIEWS.add(item.pk)


def guide_cache_key(version: ItemVersion) -> str:
    """Where the rendered guide of a published version is cached: per version, its last change and the language
    (a published version changes only by being superseded or retired, which changes the item's version)."""
    return f"catalog:guide:{version.pk}:{version.updated_at.timestamp():.6f}:{get_language()}"


def guide_version(item: ImplementationItem) -> ItemVersion:
    """The published version with everything the guide shows: 1 query plus 4 prefetches, whatever the item."""
    return (
        ItemVersion.objects.select_related(
            "process", "item__basic_item", "item__organisation__region__parent__parent__parent"
        )
        .prefetch_related("materials", "fees", "faqs", "themes")
        .get(pk=item.published_version_id)
    )


def is_favourite(user, item: ImplementationItem) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Favourite.objects.filter(user=user, item=item).exists()


def favourites_of(user):
    """A person's 我的收藏, newest first, with what a row shows (one query)."""
    return (
        Favourite.objects.filter(user=user, item__published_version__isnull=False)
        .select_related("item__published_version", "item__organisation")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class ValidArea:
    """Where an item can be applied for: its service scope in words and the area's name."""

    scope_label: str
    area_name: str


def valid_area(version: ItemVersion) -> ValidArea:
    """全县通办 · 桐庐县: the scope and the region (of the implementing organisation) that the scope covers."""
    label = str(version.get_service_scope_display())
    if version.service_scope == ServiceScope.CROSS_PROVINCE:
        return ValidArea(label, _("全国"))
    wanted = SCOPE_LEVEL.get(version.service_scope)
    region = version.item.organisation.region
    area = region
    while region is not None:
        if region.level == wanted:
            area = region
            break
        region = region.parent
    return ValidArea(label, area.name if area else "")


def consultation_phone(text: str) -> str:
    """The first phone number in the consultation text, digits only, for a tel: link; 12345 when there is none."""
    match = PHONE_PATTERN.search(text or "")
    return match.group(1).replace("-", "") if match else "12345"

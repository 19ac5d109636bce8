"""Load the demo county through the platform's own services (so every row is validated and audited).

Idempotent: anything that already exists (by its natural key) is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from tongban.accounts import services as accounts_services
from tongban.accounts.models import User, UserKind
from tongban.core import calendar
from tongban.core import services as core_services
from tongban.core.errors import CoreError, DomainError
from tongban.core.models import HallWindow, Organisation, Region
from tongban.demo import data


def _regions(say: Callable[[str], None]) -> None:
    if not Region.objects.filter(code=data.COUNTY_CODE).exists():
        result = core_services.regions_load_stdnum(actor=None)
        say(f"全国省市县区划：新增 {result.created} 条")
    for code, name in [*data.TOWNS, *data.VILLAGES]:
        if not Region.objects.filter(code=code).exists():
            core_services.region_create(actor=None, code=code, name=name)


def _organisations() -> dict[str, Organisation]:
    by_key: dict[str, Organisation] = {}
    for spec in data.ORGANISATIONS:
        organisation = Organisation.objects.filter(uscc=spec.uscc).first()
        if organisation is None:
            organisation = core_services.organisation_create(
                actor=None,
                name=spec.name,
                short_name=spec.short_name,
                uscc=spec.uscc,
                kind=spec.kind,
                region=Region.objects.get(code=spec.region_code),
                parent=by_key.get(spec.parent_key),
                phone=spec.phone,
                address=spec.address,
                opening_hours=data.OFFICE_HOURS,
            )
        by_key[spec.key] = organisation
    return by_key


def _hall_windows(hall: Organisation) -> None:
    existing = set(HallWindow.objects.filter(hall=hall).values_list("number", flat=True))
    for number, name, kind in data.HALL_WINDOWS:
        if number not in existing:
            core_services.hall_window_create(actor=None, hall=hall, number=number, name=name, kind=kind)


def _staff(organisations: dict[str, Organisation]) -> None:
    for spec in data.STAFF:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = accounts_services.user_create(
                actor=None,
                kind=UserKind.STAFF,
                username=spec.username,
                display_name=spec.display_name,
                phone=spec.phone,
                password=data.DEMO_PASSWORD,
                is_superuser=spec.superuser,
            )
        for org_key, role, subtree in spec.roles:
            accounts_services.staff_role_grant(
                actor=None, user=user, organisation=organisations[org_key], role=role, covers_region_subtree=subtree
            )


def _ensure_account(*, kind: str, username: str, name: str, phone: str, id_number: str, level: int = 1) -> None:
    if not User.objects.filter(username=username).exists():
        accounts_services.user_create(
            actor=None,
            kind=kind,
            username=username,
            display_name=name,
            phone=phone,
            id_number=id_number,
            real_name_level=level,
            password=data.DEMO_PASSWORD,
        )


def _citizens() -> None:
    for person in data.PEOPLE:
        _ensure_account(
            kind=UserKind.PERSON,
            username=person.phone,
            name=person.name,
            phone=person.phone,
            id_number=person.id_number,
            level=person.real_name_level,
        )
    for company in data.ENTERPRISES:
        _ensure_account(
            kind=UserKind.ENTERPRISE,
            username=company.uscc,
            name=company.name,
            phone=company.phone,
            id_number=company.uscc,
        )


def seed_demo(say: Callable[[str], None] = lambda _message: None) -> None:
    """Create the demo county, its bodies, staff, people and enterprises; refuses in production mode."""
    if settings.TONGBAN_ENV == "production":
        raise DomainError(CoreError.INVALID_INPUT, "生产模式下不能载入演示数据")
    with transaction.atomic():
        _regions(say)
        calendar_result = calendar.seed_calendar()
        organisations = _organisations()
        _hall_windows(organisations["hall"])
        _staff(organisations)
        _citizens()
    say(f"节假日安排：{calendar_result}")
    say(
        f"演示县已就绪：机构 {Organisation.objects.count()} 个，"
        f"账号 {User.objects.count()} 个，区划 {Region.objects.count()} 条"
    )

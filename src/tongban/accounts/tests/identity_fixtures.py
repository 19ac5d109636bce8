"""Builders shared by the real-name, enterprise, acting and centre tests: registry records and accounts."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tongban.accounts import services
from tongban.accounts.models import RealNameLevel, User, UserKind
from tongban.accounts.registries import legal_entity_record_put, population_record_put
from tongban.core.models import AuditEntry
from tongban.demo.identifiers import credit_code, resident_id

SUN_ID = resident_id("330122", "19800909", 13, female=True)
WU_ID = resident_id("330122", "19980304", 11, female=True)
LI_ID = resident_id("330122", "19910520", 5, female=False)
DEAD_ID = resident_id("330122", "19300101", 21, female=False)
UNKNOWN_ID = resident_id("330122", "19850505", 31, female=True)
HAOWEIDAO = credit_code("91", "330122", "MA2H3K7L")
CANCELLED = credit_code("91", "330122", "MA2K9R3T")
UNREGISTERED = credit_code("91", "330122", "MA2M5W8X")
FOOD_LICENCE = "000117001000"
OTHER_ITEM = "000113005000"


def registries() -> None:
    """The population and legal-entity mirror records the tests verify against."""
    population_record_put(actor=None, name="孙丽华", id_number=SUN_ID)
    population_record_put(actor=None, name="吴晓燕", id_number=WU_ID)
    population_record_put(actor=None, name="李建国", id_number=LI_ID)
    population_record_put(actor=None, name="王老汉", id_number=DEAD_ID, alive=False)
    legal_entity_record_put(
        actor=None,
        uscc=HAOWEIDAO,
        name="桐庐县好味道餐饮有限公司",
        representative_name="孙丽华",
        representative_id_number=SUN_ID,
        region_code="330122",
    )
    legal_entity_record_put(
        actor=None,
        uscc=CANCELLED,
        name="桐庐县老街茶馆有限公司",
        representative_name="孙丽华",
        representative_id_number=SUN_ID,
        status="cancelled",
    )


def person(phone: str, name: str = "", *, level: int = RealNameLevel.L1) -> User:
    """A person account with a phone (L1 unless told); no ID number until verified. Named as SMS sign-up names it."""
    from tongban.core.pii import mask_phone

    return services.user_create(
        actor=None,
        kind=UserKind.PERSON,
        username=phone,
        display_name=name or mask_phone(phone),
        phone=phone,
        real_name_level=level,
    )


def verified(phone: str, name: str, id_number: str) -> User:
    """A person verified online (L2) through the real service."""
    from tongban.accounts.realname import realname_verify_online

    user = person(phone)
    return realname_verify_online(actor=user, user=user, name=name, id_number=id_number)


def a_year_ahead() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=365)


def state(*users: User) -> tuple:
    """Everything a refused call must leave unchanged: audit rows count aside, each user's identity fields."""
    rows = []
    for user in users:
        fresh = User.objects.get(pk=user.pk)
        rows.append(
            (
                fresh.real_name,
                fresh.id_number,
                fresh.id_number_index,
                fresh.display_name,
                fresh.real_name_level,
                fresh.real_name_verified_at,
                fresh.real_name_verified_by_id,
                fresh.legal_representative_id,
            )
        )
    return (User.objects.count(), tuple(rows))


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


def window_clerk(username: str = "clerk_wang") -> User:
    """A member of staff holding the window clerk role at a town service centre."""
    from tongban.core.models import Organisation, OrganisationKind, Region, RegionLevel

    region, _ = Region.objects.get_or_create(code="330122", defaults={"name": "桐庐县", "level": RegionLevel.COUNTY})
    organisation, _ = Organisation.objects.get_or_create(
        uscc=credit_code("11", "330122", "00250012"),
        defaults={"name": "富春江镇便民服务中心", "kind": OrganisationKind.TOWN_OFFICE, "region": region},
    )
    clerk = services.user_create(actor=None, kind=UserKind.STAFF, username=username, display_name="王科员")
    services.staff_role_grant(actor=None, user=clerk, organisation=organisation, role="window_clerk")
    return clerk

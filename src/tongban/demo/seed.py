"""Load the demo county through the platform's own services (so every row is validated and audited).

Idempotent: anything that already exists (by its natural key) is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tongban.accounts import enterprises, realname, registries
from tongban.accounts import services as accounts_services
from tongban.accounts.models import User, UserKind
from tongban.cases.demo import seed_cases
from tongban.catalog.demo import seed_catalog
from tongban.core import calendar
from tongban.core import services as core_services
from tongban.core.errors import CoreError, DomainError
from tongban.core.models import HallWindow, Organisation, Region
from tongban.core.pii import blind_index
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


def _hall_windows(hall: Organisation, windows=data.HALL_WINDOWS) -> None:
    existing = set(HallWindow.objects.filter(hall=hall).values_list("number", flat=True))
    for number, name, kind in windows:
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


def _ensure_account(*, kind: str, username: str, name: str, phone: str, id_number: str) -> None:
    if not User.objects.filter(username=username).exists():
        accounts_services.user_create(
            actor=None,
            kind=kind,
            username=username,
            display_name=name,
            phone=phone,
            id_number=id_number,
            password=data.DEMO_PASSWORD,
        )


def _citizens() -> None:
    # People start as every sign-up does, phone only (L1); _verified_people then verifies those the demo lists at L2
    # through the real-name service, so an ID number on file always means a verified one.
    for person in data.PEOPLE:
        _ensure_account(kind=UserKind.PERSON, username=person.phone, name=person.name, phone=person.phone, id_number="")
    for company in data.ENTERPRISES:
        _ensure_account(
            kind=UserKind.ENTERPRISE,
            username=company.uscc,
            name=company.name,
            phone=company.phone,
            id_number=company.uscc,
        )


# --- Identity: registry records, verified people, enterprise bindings, agents (accounts registries/enterprises) ---


def _identity_registries() -> None:
    """Every demo person and enterprise in the local registry mirrors (unchanged records write nothing)."""
    for person in data.PEOPLE:
        registries.population_record_put(actor=None, name=person.name, id_number=person.id_number)
    for resident in data.REGISTRY_ONLY_PEOPLE:
        registries.population_record_put(
            actor=None, name=resident.name, id_number=resident.id_number, alive=resident.alive
        )
    for company in data.ENTERPRISES:
        name, id_number = data.ENTERPRISE_REPRESENTATIVES[company.uscc]
        registries.legal_entity_record_put(
            actor=None,
            uscc=company.uscc,
            name=company.name,
            representative_name=name,
            representative_id_number=id_number,
            region_code=data.COUNTY_CODE,
        )
    cancelled = data.CANCELLED_ENTERPRISE
    registries.legal_entity_record_put(
        actor=None,
        uscc=cancelled.uscc,
        name=cancelled.name,
        representative_name="孙丽华",
        representative_id_number=data.PEOPLE[6].id_number,
        status="cancelled",
        region_code=data.COUNTY_CODE,
    )


def _verified_people() -> None:
    """People listed at L2 or above verify online once, through the real service, so their real name is recorded."""
    for person in data.PEOPLE:
        user = User.objects.get(username=person.phone)
        if person.real_name_level >= 2 and not user.real_name:
            realname.realname_verify_online(actor=user, user=user, name=person.name, id_number=person.id_number)


def _enterprise_bindings_and_agents() -> None:
    for company in data.ENTERPRISES:
        name, _id_number = data.ENTERPRISE_REPRESENTATIVES[company.uscc]
        representative = User.objects.filter(kind=UserKind.PERSON, real_name=name).first()
        enterprise = User.objects.get(username=company.uscc)
        if representative is not None and enterprise.legal_representative_id != representative.pk:
            enterprises.enterprise_bind(actor=representative, uscc=company.uscc)
    for agent in data.AGENTS:
        enterprise = User.objects.get(username=agent.enterprise_uscc)
        if enterprises.live_authorisations(enterprise).filter(agent_phone_index=blind_index("phone", agent.phone)):
            continue
        enterprises.agent_authorise(
            actor=User.objects.get(username=agent.representative_phone),
            enterprise=enterprise,
            phone=agent.phone,
            name=agent.name,
            all_items=False,
            item_codes=agent.item_codes,
            expires_on=timezone.localdate() + dt.timedelta(days=agent.days),
        )


# --- Single sign-on clients (accounts/oidc.py) -----------------------------------------------------------------


def _oidc_clients() -> None:
    """The demo department systems: a 公安局 system with consent, a first-party app, and a machine client."""
    from oauth2_provider.models import Application

    from tongban.accounts.oidc import oidc_client_register

    for spec in data.OIDC_CLIENTS:
        if not Application.objects.filter(client_id=spec.client_id).exists():
            oidc_client_register(
                actor=None,
                name=spec.name,
                grant_type=spec.grant_type,
                redirect_uris=spec.redirect_uris,
                post_logout_redirect_uris=spec.post_logout_redirect_uris,
                skip_authorization=spec.skip_authorization,
                client_id=spec.client_id,
                client_secret=data.demo_client_secret(spec.client_id),
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
        for key in ("town_tongjun", "town_fuchunjiang", "town_hengcun"):
            _hall_windows(organisations[key], data.TOWN_WINDOWS)
        _staff(organisations)
        _citizens()
        _identity_registries()
        _verified_people()
        _enterprise_bindings_and_agents()
        _oidc_clients()
    seed_catalog(say)  # the demo catalogue (catalog/demo.py): items published through the lifecycle, bundles
    seed_cases(say)  # a few applications in the states a visitor should see (cases/demo.py)
    say(f"节假日安排：{calendar_result}")
    say(
        f"演示县已就绪：机构 {Organisation.objects.count()} 个，"
        f"账号 {User.objects.count()} 个，区划 {Region.objects.count()} 条"
    )

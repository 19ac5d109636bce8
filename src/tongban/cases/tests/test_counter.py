"""Counter acceptance (一窗受理, cases/counter.py): scope, identity check, enterprise agents, routing and receipt."""

from __future__ import annotations

import pytest

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RealNameLevel, StaffRole, User
from tongban.accounts.registries import population_record_put
from tongban.accounts.tests.identity_fixtures import HAOWEIDAO, person
from tongban.cases import counter, selectors, services
from tongban.cases.errors import CaseError
from tongban.cases.models import Case, CaseDocument, CaseStatus, Channel, EventCode, Provision
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import GOOD_ANSWERS, PDF_BYTES, stored_upload
from tongban.catalog.models import ItemVersion, ServiceScope
from tongban.core import services as core_services
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, HallWindow, OrganisationKind, Region
from tongban.core.tests.identifiers import uscc
from tongban.demo.identifiers import resident_id

pytestmark = pytest.mark.django_db

ZHANG_ID = resident_id("330122", "19700312", 7, female=True)


def window(hall) -> HallWindow:
    return HallWindow.objects.get(hall=hall, number="01")


def start(clerk, hall, item, walk_in, **options) -> Case:
    return counter.counter_start(actor=clerk, hall=hall, window=window(hall), item=item, walk_in=walk_in, **options)


def fill_and_submit(clerk, case: Case) -> Case:
    """Answers typed by the clerk; the first required material scanned, the others handed over on paper."""
    services.draft_save_answers(actor=clerk, case=case, answers=GOOD_ANSWERS)
    for material in case.version.materials.exclude(necessity="optional"):
        if material.order == 0:
            upload = stored_upload(clerk, content=PDF_BYTES + b"scan")
            services.material_attach(
                actor=clerk, case=case, material_id=material.pk, provision=Provision.UPLOAD, upload_id=upload.pk
            )
        else:
            counter.counter_paper(actor=clerk, case=case, material_id=material.pk)
    return counter.counter_submit(actor=clerk, case=case)


def set_scope(item, scope: str) -> None:
    ItemVersion.objects.filter(pk=item.published_version_id).update(service_scope=scope)
    item.published_version.refresh_from_db()


def far_hall(code: str, name: str, key: int):
    """A hall in another city or province, with an acceptance window and a window clerk."""
    from tongban.catalog.tests.lifecycle_fixtures import staff

    region = Region.objects.filter(code=code).first() or core_services.region_create(actor=None, code=code, name=name)
    hall = core_services.organisation_create(
        actor=None,
        name=f"{name}政务服务中心",
        uscc=uscc(f"113301227042964{key:02d}"),
        kind=OrganisationKind.SERVICE_HALL,
        region=region,
    )
    HallWindow.objects.create(hall=hall, number="01", name="综合受理窗口", kind=HallWindow.Kind.ACCEPTANCE)
    return hall, staff(f"clerk_{key}", (hall, StaffRole.WINDOW_CLERK))


# ---------------------------------------------------------------------------------------------------------------
# Scope


@pytest.mark.parametrize(("hall_key", "allowed"), [("hall", True), ("town_hall", True), ("other_county_hall", False)])
def test_county_scope_covers_the_county_only(food_item, county, crew, applicants, hall_key, allowed):
    clerk = {"hall": crew["hall_clerk"], "town_hall": crew["town_clerk"], "other_county_hall": crew["far_clerk"]}
    walk_in = counter.WalkIn(account=applicants["li"], present=applicants["li"])
    audits = AuditEntry.objects.count()
    if allowed:
        case = start(clerk[hall_key], county[hall_key], food_item, walk_in)
        assert case.channel == Channel.WINDOW and case.accepting_hall == county[hall_key]
        assert case.organisation == county["amr"] and case.submitted_by == clerk[hall_key]
    else:
        with pytest.raises(DomainError) as caught:
            start(clerk[hall_key], county[hall_key], food_item, walk_in)
        assert caught.value.code == CaseError.OUTSIDE_SCOPE
        assert Case.objects.count() == 0 and AuditEntry.objects.count() == audits


def test_city_province_and_cross_province_scope(food_item, county, crew, applicants):
    item = food_item
    other_county = county["other_county_hall"]  # 淳安县: same city (杭州), another county
    ningbo, _ = far_hall("330200", "宁波市", 1)
    shanghai, shanghai_clerk = far_hall("310000", "上海市", 2)
    checks = {
        ServiceScope.COUNTY: (False, False, False),
        ServiceScope.CITY: (True, False, False),
        ServiceScope.PROVINCE: (True, True, False),
        ServiceScope.CROSS_PROVINCE: (True, True, True),
    }
    for scope, expected in checks.items():
        set_scope(item, scope)
        got = tuple(
            counter.hall_in_scope(item.published_version, item.organisation, hall)
            for hall in (other_county, ningbo, shanghai)
        )
        assert got == expected, scope
    case = start(shanghai_clerk, shanghai, item, counter.WalkIn(account=applicants["li"], present=applicants["li"]))
    assert case.accepting_hall == shanghai and case.organisation == county["amr"]


def test_items_for_hall_lists_only_items_in_scope(food_item, county):
    assert counter.items_for_hall(county["town_hall"], "食品") == [food_item]
    assert counter.items_for_hall(county["town_hall"], food_item.code) == [food_item]
    assert counter.items_for_hall(county["town_hall"], "婚姻") == []
    assert counter.items_for_hall(county["other_county_hall"], "食品") == []


def test_a_clerk_of_another_hall_or_window_is_refused(food_item, county, crew, applicants):
    walk_in = counter.WalkIn(account=applicants["li"], present=applicants["li"])
    with pytest.raises(DomainError) as caught:
        counter.counter_start(
            actor=crew["hall_clerk"],
            hall=county["town_hall"],
            window=window(county["town_hall"]),
            item=food_item,
            walk_in=walk_in,
        )
    assert caught.value.code == CaseError.WINDOW_CLERK_REQUIRED
    with pytest.raises(DomainError) as caught:
        counter.counter_start(
            actor=crew["hall_clerk"],
            hall=county["hall"],
            window=window(county["town_hall"]),
            item=food_item,
            walk_in=walk_in,
        )
    assert caught.value.code == CaseError.WINDOW_NOT_OF_HALL
    assert Case.objects.count() == 0
    assert [h.pk for h in counter.counter_halls(crew["hall_clerk"])] == [county["hall"].pk]
    assert list(counter.counter_halls(crew["amr_clerk"])) == []


# ---------------------------------------------------------------------------------------------------------------
# Persons: found by phone or ID number; the card check raises them to L3


def test_walk_in_person_with_id_card_checked_reaches_the_competent_department(food_item, county, crew, applicants):
    clerk, li = crew["town_clerk"], applicants["li"]
    found = counter.find_person(actor=clerk, id_number=li.id_number)
    assert found == li and counter.find_person(actor=clerk, phone="13805710003") == li
    case = start(clerk, county["town_hall"], food_item, counter.WalkIn(account=li, present=li), identity_checked=True)
    li.refresh_from_db()
    assert li.real_name_level == RealNameLevel.L3 and li.real_name_verified_by == clerk
    case = fill_and_submit(clerk, case)
    assert case.status == CaseStatus.RECEIVED and case.identity_checked is True
    assert case.applicant == li and case.applicant_name == "李建国" and case.submitted_by == clerk
    assert case.organisation == county["amr"] and case.accepting_hall == county["town_hall"]
    assert case.accepting_window == window(county["town_hall"])
    event = case.events.get()
    assert (event.code, event.organisation_id) == (EventCode.RECEIVED, county["town_hall"].pk)
    receipt = CaseDocument.objects.get(case=case)
    assert receipt.kind == "receipt" and receipt.organisation == county["town_hall"]
    assert receipt.data["hall"] == "富春江镇便民服务中心" and receipt.data["channel"] == "窗口受理"
    provisions = sorted(case.materials.values_list("provision", flat=True))
    assert provisions == ["paper", "paper", "paper", "upload"]
    # 受办分离: the bureau's clerk pre-reviews it; the town clerk only sees it at the counter
    assert [row.pk for row in selectors.worklist(crew["amr_clerk"], "pre_review")] == [case.pk]
    assert list(selectors.worklist(clerk, "pre_review")) == []
    assert counter.access_counter_case(clerk, case.public_id) == case
    actions = list(
        AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[:2] == ["cases.draft.start", "cases.counter.start"] and actions[-1] == "cases.case.submit"


def test_an_l1_person_needs_the_card_check(food_item, county, crew, applicants):
    clerk = crew["hall_clerk"]
    population_record_put(actor=None, name="张秀英", id_number=ZHANG_ID)
    zhang = person("13805710004")
    with pytest.raises(DomainError) as caught:
        start(clerk, county["hall"], food_item, counter.WalkIn(account=zhang, present=zhang))
    assert caught.value.code == AccountsError.REALNAME_LEVEL_REQUIRED
    with pytest.raises(DomainError) as caught:
        counter.find_person(actor=clerk, id_number=ZHANG_ID)
    assert caught.value.code == CaseError.APPLICANT_NOT_FOUND  # no verified ID on the account yet
    case = start(
        clerk,
        county["hall"],
        food_item,
        counter.WalkIn(account=zhang, present=zhang),
        identity_checked=True,
        card_name="张秀英",
        card_number=ZHANG_ID,
    )
    zhang.refresh_from_db()
    assert zhang.real_name_level == RealNameLevel.L3 and zhang.id_number == ZHANG_ID
    assert case.applicant_name == "张秀英" and case.applicant_id_number == ZHANG_ID and case.identity_checked


def test_a_wrong_card_is_refused_and_nothing_is_opened(food_item, county, crew):
    zhang = person("13805710004")
    with pytest.raises(DomainError) as caught:
        start(
            crew["hall_clerk"],
            county["hall"],
            food_item,
            counter.WalkIn(account=zhang, present=zhang),
            identity_checked=True,
            card_name="张秀英",
            card_number=ZHANG_ID,  # not in the population registry
        )
    assert caught.value.code == AccountsError.REALNAME_MISMATCH
    assert Case.objects.count() == 0 and User.objects.get(pk=zhang.pk).real_name_level == RealNameLevel.L1


def test_only_window_clerks_look_people_up(crew, applicants):
    with pytest.raises(DomainError) as caught:
        counter.find_person(actor=crew["amr_clerk"], phone="13805710003")
    assert caught.value.code == AccountsError.NOT_WINDOW_CLERK
    with pytest.raises(DomainError) as caught:
        counter.find_person(actor=crew["hall_clerk"], phone="13900000000")
    assert caught.value.code == CaseError.APPLICANT_NOT_FOUND


# ---------------------------------------------------------------------------------------------------------------
# Enterprises


def test_enterprise_by_its_representative_or_agent_in_scope(food_item, county, crew, applicants):
    clerk, firm = crew["hall_clerk"], applicants["firm"]
    assert counter.find_enterprise(uscc=HAOWEIDAO.lower()) == firm
    for present, agent_name in ((applicants["sun"], ""), (applicants["wu"], "吴晓燕")):
        case = start(clerk, county["hall"], food_item, counter.WalkIn(account=firm, present=present))
        case = fill_and_submit(clerk, case)
        assert case.applicant == firm and case.applicant_kind == "enterprise" and case.status == CaseStatus.RECEIVED
        assert case.agent_name == (agent_name or "孙丽华") and case.legal_representative == "孙丽华"


def test_an_agent_outside_scope_is_refused(food_item, county, crew, applicants):
    clerk, firm = crew["hall_clerk"], applicants["firm"]
    with pytest.raises(DomainError) as caught:
        start(clerk, county["hall"], food_item, counter.WalkIn(account=firm, present=applicants["li"]))
    assert caught.value.code == AccountsError.AGENT_OUT_OF_SCOPE
    assert Case.objects.count() == 0


def test_an_agent_without_account_is_recorded_by_the_clerk(food_item, county, crew, applicants):
    clerk, firm = crew["hall_clerk"], applicants["firm"]
    with pytest.raises(DomainError) as caught:
        start(clerk, county["hall"], food_item, counter.WalkIn(account=firm, present=None, agent_name="钱七"))
    assert caught.value.code == CaseError.AGENT_NAME_REQUIRED  # the papers must have been checked
    case = start(
        clerk,
        county["hall"],
        food_item,
        counter.WalkIn(account=firm, present=None, agent_name=" 钱七 ", agent_phone="13900000007"),
        identity_checked=True,
    )
    case = fill_and_submit(clerk, case)
    assert case.agent_name == "钱七" and case.contact_phone == "13900000007" and case.identity_checked
    assert (
        AuditEntry.objects.filter(action="cases.counter.start", object_id=str(case.pk)).get().after["agent_name"]
        == "钱七"
    )


def test_unknown_enterprise(crew):
    with pytest.raises(DomainError) as caught:
        counter.find_enterprise(uscc="91330122MA2M5W8X00")
    assert caught.value.code == CaseError.ENTERPRISE_NOT_FOUND


# ---------------------------------------------------------------------------------------------------------------
# Who sees a counter case


def test_counter_case_is_seen_by_the_halls_clerks_only(food_item, county, crew, applicants):
    clerk = crew["town_clerk"]
    case = start(
        clerk, county["town_hall"], food_item, counter.WalkIn(account=applicants["li"], present=applicants["li"])
    )
    for other in (crew["hall_clerk"], crew["far_clerk"], crew["amr_clerk"], applicants["li"]):
        with pytest.raises(DomainError) as caught:
            counter.access_counter_case(other, case.public_id)
        assert caught.value.code == CaseError.CASE_NOT_FOUND
    online = submitted_case(applicants["li"], food_item)  # noqa: F405
    with pytest.raises(DomainError):
        counter.access_counter_case(clerk, online.public_id)

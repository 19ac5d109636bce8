"""Bundles (一件事): one application fans out into one child case per item at its department; shared materials are
stored once; one child refused while the others proceed; supplement through the parent; the parent completes when
every child has ended; idempotent submission; another person cannot see the parent."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tongban.accounts.models import StaffRole, User
from tongban.cases import bundles, review, services
from tongban.cases.errors import CaseError
from tongban.cases.models import (
    BundleApplication,
    BundleStatus,
    Case,
    CaseMaterial,
    CaseStatus,
    Provision,
    StoredFile,
    TaskOutcome,
    TaskStatus,
)
from tongban.cases.selectors_bundles import access_bundle_for_applicant, bundle_progress
from tongban.cases.tests.fixtures import stored_upload
from tongban.catalog import demo as catalog_demo
from tongban.catalog import demo_data
from tongban.catalog.models import Bundle, Material, MaterialNecessity
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core import calendar
from tongban.core import services as core_services
from tongban.core.errors import DomainError
from tongban.core.models import Organisation
from tongban.demo import data, seed
from tongban.notifications.models import Message

FATHER_ID = "33012219940611015X"
MOTHER_ID = "330122199511020188"
SHARED = {
    "newborn_name": "陈小宝",
    "newborn_sex": "男",
    "newborn_birth_date": "2026-03-01",
    "father_id_number": FATHER_ID,
    "mother_id_number": MOTHER_ID,
    "applicant_name": "陈志强",
    "applicant_id_number": FATHER_ID,
    "applicant_phone": "13805710004",
}
OWN = {
    "户口登记（出生）": {"settle_with": "随父", "household_address": "桐庐县桐君街道梅林社区"},
    "社会保障卡申领": {"bank": "浙江农商银行", "delivery": "窗口领取"},
}
DEPARTMENTS = {
    "出生医学证明签发": "桐庐县卫生健康局",
    "户口登记（出生）": "桐庐县公安局",
    "城乡居民基本医疗保险参保登记": "桐庐县医疗保障局",
    "社会保障卡申领": "桐庐县人力资源和社会保障局",
}


def seed_newborn() -> None:
    """The part of the demo the newborn bundle needs, in a few seconds (the whole demo takes half a minute): the
    county's regions, calendar, bodies, staff and people, and the bundle with its four items published."""
    for code, name in (
        ("330000", "浙江省"),
        ("330100", "杭州市"),
        (data.COUNTY_CODE, "桐庐县"),
        *data.TOWNS,
        *data.VILLAGES,
    ):
        core_services.region_create(actor=None, code=code, name=name)
    calendar.seed_calendar()
    organisations = seed._organisations()
    seed._hall_windows(organisations["hall"])
    seed._staff(organisations)
    seed._citizens()
    seed._identity_registries()
    seed._verified_people()
    reviewer, editors = User.objects.get(username=catalog_demo.REVIEWER), catalog_demo._editors()
    spec = next(bundle for bundle in demo_data.BUNDLES if bundle.code == "newborn")
    by_key = {item.key: item for item in demo_data.ITEMS}
    theme_codes = {code for key in spec.items for code in by_key[key].themes}
    themes = {
        theme.code: catalog_demo.theme_ensure(
            actor=None, code=theme.code, name=theme.name, audience=theme.audience, order=theme.order
        )
        for theme in demo_data.THEMES
        if theme.code in theme_codes
    }
    items = []
    for key in spec.items:
        item_spec = by_key[key]
        catalog_demo._publish_item(item_spec, editors[item_spec.organisation], reviewer, themes)
        items.append(catalog_demo._implementation(item_spec, editors[item_spec.organisation]))
    catalog_demo.bundle_ensure(actor=None, spec=spec, items=items)


@pytest.fixture
def newborn(db):
    """The demo county and the newborn bundle; a member of staff holding every case role at each department."""
    seed_newborn()
    bundle = Bundle.objects.get(code="newborn")
    workers = {}
    for number, name in enumerate(DEPARTMENTS.values()):
        organisation = Organisation.objects.get(name=name)
        roles = (StaffRole.REVIEWER, StaffRole.APPROVER, StaffRole.WINDOW_CLERK, StaffRole.HEAD)
        workers[name] = staff(f"bundle_staff_{number}", *[(organisation, role) for role in roles])
    return {"bundle": bundle, "chen": User.objects.get(username="13805710004"), "staff": workers}


def fill(application: BundleApplication, person: User, *, upload_content: bytes = b"") -> BundleApplication:
    """Answer every page and provide every material group (uploads by `person`)."""
    parts = bundles.bundle_parts(application.bundle)
    for page in bundles.bundle_pages(application.bundle, parts):
        answers = SHARED if page.part is None else OWN[page.part.version.name]
        answers = {f.name: answers[f.name] for f in page.page.fields}
        application = bundles.bundle_draft_save(actor=person, application=application, page=page, answers=answers)
    for group in bundles.material_groups(parts):
        content = b"%PDF-1.4\n" + group.name.encode() + upload_content
        upload = stored_upload(person, content, f"{group.name}.pdf")
        application = bundles.bundle_material_set(
            actor=person, application=application, group=group, provision=Provision.UPLOAD, upload_id=upload.pk
        )
    return application


def submitted(newborn, key: str = "key-1") -> BundleApplication:
    chen = newborn["chen"]
    applicant = services.Applicant(account=chen, person=chen)
    application = bundles.bundle_draft_start(actor=chen, applicant=applicant, bundle=newborn["bundle"])
    application = fill(application, chen)
    return bundles.bundle_submit(actor=chen, application=application, idempotency_key=key)


def children(application: BundleApplication) -> dict[str, Case]:
    found = Case.objects.filter(bundle_application=application).select_related("version", "organisation")
    return {case.version.name: case for case in found}


def decide(case: Case, worker: User, *, grant: bool = True) -> Case:
    """Accept the child and finish every step of its process as its department (grant or deny at the end)."""
    services.case_accept(actor=worker, case=case, expected_version=None)
    while True:
        task = case.tasks.filter(status=TaskStatus.OPEN).first()
        if task is None:
            break
        decision = TaskOutcome.GRANT if grant else TaskOutcome.DENY
        outcome = decision if task.decides else TaskOutcome.AGREE
        review.task_complete(actor=worker, task=task, outcome=outcome, opinion="经审查", expected_version=None)
    case.refresh_from_db()
    return case


def test_submission_fans_out_into_four_children_at_four_departments_sharing_one_upload(newborn):
    application = submitted(newborn)
    assert application.status == BundleStatus.RECEIVED
    assert application.number.startswith("YJSNEWBORN") and len(application.number) == len("YJSNEWBORN") + 12
    kids = children(application)
    assert {name: case.organisation.name for name, case in kids.items()} == DEPARTMENTS
    assert {case.status for case in kids.values()} == {CaseStatus.RECEIVED}
    assert all(case.number and case.applicant == newborn["chen"] for case in kids.values())
    # shared answers merged with each item's own
    assert kids["户口登记（出生）"].form_data["settle_with"] == "随父"
    assert kids["社会保障卡申领"].form_data["newborn_name"] == "陈小宝"
    assert "settle_with" not in kids["社会保障卡申领"].form_data
    # 出生医学证明 (one licence type) asked once: one upload, one stored file, linked to both children that need it
    birth = CaseMaterial.objects.filter(
        case__bundle_application=application, material__source_licence_type="birth_medical_certificate"
    )
    assert birth.count() == 2 and len({row.upload_id for row in birth}) == 1
    upload = birth.first().upload
    assert StoredFile.objects.filter(sha256=upload.file.sha256).count() == 1
    groups = bundles.material_groups(bundles.bundle_parts(newborn["bundle"]))
    total_materials = sum(len(group.members) for group in groups)
    assert len(groups) == total_materials - 1  # the only repeated document is 出生医学证明
    # one notice for the whole application, linking to the parent
    notes = Message.objects.filter(recipient=newborn["chen"], topic="bundle.received")
    assert [note.link for note in notes] == [f"/cases/bundles/{application.public_id}/"]
    assert not Message.objects.filter(recipient=newborn["chen"], topic="case.received").exists()


def test_submit_is_idempotent(newborn):
    application = submitted(newborn)
    again = bundles.bundle_submit(actor=newborn["chen"], application=application, idempotency_key="other")
    assert again.pk == application.pk and again.number == application.number
    assert Case.objects.filter(bundle_application=application).count() == 4
    assert bundles.application_for_idempotency_key(newborn["chen"], "key-1").pk == application.pk
    assert BundleApplication.objects.exclude(status=BundleStatus.DRAFT).count() == 1


def test_an_incomplete_application_submits_nothing(newborn):
    chen = newborn["chen"]
    applicant = services.Applicant(account=chen, person=chen)
    application = bundles.bundle_draft_start(actor=chen, applicant=applicant, bundle=newborn["bundle"])
    with pytest.raises(DomainError) as refused:
        bundles.bundle_submit(actor=chen, application=application, idempotency_key="k")
    assert refused.value.code == CaseError.INVALID_FORM
    assert "1:newborn_name" in refused.value.fields
    application.refresh_from_db()
    assert application.status == BundleStatus.DRAFT and application.number is None
    assert not Case.objects.filter(bundle_application=application).exists()


def test_one_child_refused_while_the_others_proceed_and_the_parent_completes_when_all_end(newborn):
    application = submitted(newborn)
    kids = children(application)
    workers = newborn["staff"]
    police = kids["户口登记（出生）"]
    services.case_refuse(actor=workers["桐庐县公安局"], case=police, expected_version=None, reasons="父母户籍不在本县")
    application.refresh_from_db()
    assert application.status == BundleStatus.IN_PROGRESS and application.closed_at is None  # one part has ended
    refusal = Message.objects.get(recipient=newborn["chen"], topic="case.refused")
    assert refusal.link == f"/cases/bundles/{application.public_id}/"

    health = decide(kids["出生医学证明签发"], workers["桐庐县卫生健康局"])
    assert health.status == CaseStatus.APPROVED
    application.refresh_from_db()
    assert application.status == BundleStatus.IN_PROGRESS and application.closed_at is None
    decide(kids["城乡居民基本医疗保险参保登记"], workers["桐庐县医疗保障局"])
    application.refresh_from_db()
    assert application.status == BundleStatus.IN_PROGRESS
    assert not Message.objects.filter(topic="bundle.completed").exists()

    last = decide(kids["社会保障卡申领"], workers["桐庐县人力资源和社会保障局"], grant=False)
    assert last.status == CaseStatus.DENIED
    application.refresh_from_db()
    assert application.status == BundleStatus.COMPLETED and application.closed_at is not None
    done = Message.objects.get(recipient=newborn["chen"], topic="bundle.completed")
    assert done.link == f"/cases/bundles/{application.public_id}/"
    rows = {row.case.version.name: row for row in bundle_progress(application)}
    assert rows["户口登记（出生）"].case.status == CaseStatus.REFUSED
    assert rows["户口登记（出生）"].notice == "父母户籍不在本县"
    assert [d.get_kind_display() for d in rows["户口登记（出生）"].documents][-1] == "不予受理通知书"


def test_a_supplement_request_reaches_the_person_through_the_parent(newborn):
    application = submitted(newborn)
    chen = newborn["chen"]
    police = children(application)["户口登记（出生）"]
    material = police.version.materials.get(name="父母结婚证")
    services.case_request_supplement(
        actor=newborn["staff"]["桐庐县公安局"],
        case=police,
        expected_version=None,
        items=[{"material": material.pk, "problem": "照片不清晰"}],
    )
    notice = Message.objects.get(recipient=chen, topic="case.supplement")
    assert notice.link == f"/cases/bundles/{application.public_id}/"
    row = {row.case.version.name: row for row in bundle_progress(application)}["户口登记（出生）"]
    assert row.supplement is not None and row.supplement.items[0]["problem"] == "照片不清晰"
    assert row.supplement_url == f"/cases/mine/{police.public_id}/supplement/"
    # the person supplements on the child's ordinary supplement page (the service it calls)
    upload = stored_upload(chen, b"%PDF-1.4\nclear", "结婚证.pdf")
    police = Case.objects.get(pk=police.pk)
    services.material_attach(
        actor=chen, case=police, material_id=material.pk, provision=Provision.UPLOAD, upload_id=upload.pk
    )
    services.case_supplement_return(actor=chen, case=police)
    police.refresh_from_db()
    assert police.status == CaseStatus.RECEIVED
    application.refresh_from_db()
    assert application.status == BundleStatus.RECEIVED


def test_another_person_cannot_see_the_parent(newborn):
    application = submitted(newborn)
    zhou = User.objects.get(username="13805710005")
    with pytest.raises(DomainError) as refused:
        access_bundle_for_applicant(zhou, None, application.public_id)
    assert refused.value.code == CaseError.BUNDLE_APPLICATION_NOT_FOUND
    assert access_bundle_for_applicant(newborn["chen"], None, application.public_id).pk == application.pk


def test_a_deferrable_material_may_be_promised_later_and_a_required_one_may_not(newborn):
    chen = newborn["chen"]
    photo = Material.objects.get(name="近期正面免冠彩色照片（新生儿可免）")
    photo.necessity = MaterialNecessity.DEFERRABLE
    photo.save()  # as a guide that allows 容缺 for the photo would say
    applicant = services.Applicant(account=chen, person=chen)
    application = fill(bundles.bundle_draft_start(actor=chen, applicant=applicant, bundle=newborn["bundle"]), chen)
    groups = {group.name: group for group in bundles.material_groups(bundles.bundle_parts(newborn["bundle"]))}
    before = dict(application.materials)
    with pytest.raises(DomainError) as refused:
        bundles.bundle_material_set(
            actor=chen, application=application, group=groups["父母结婚证"], provision=Provision.DEFERRED
        )
    assert refused.value.code == CaseError.MATERIAL_NOT_DEFERRABLE
    application.refresh_from_db()
    assert application.materials == before
    bundles.bundle_material_set(
        actor=chen, application=application, group=groups[photo.name], provision=Provision.DEFERRED
    )
    application = bundles.bundle_submit(actor=chen, application=application, idempotency_key="defer")
    card = children(application)["社会保障卡申领"]
    assert list(card.materials.filter(material=photo).values_list("provision", flat=True)) == [Provision.DEFERRED]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (SQLite serialises)")
def test_two_departments_ending_the_last_children_at_once_complete_the_parent_exactly_once():
    seed_newborn()
    workers = {}
    for number, name in enumerate(DEPARTMENTS.values()):
        organisation = Organisation.objects.get(name=name)
        workers[name] = staff(f"race_staff_{number}", (organisation, StaffRole.REVIEWER))
    newborn = {"bundle": Bundle.objects.get(code="newborn"), "chen": User.objects.get(username="13805710004")}
    application = submitted(newborn)
    kids = children(application)
    for name in ("出生医学证明签发", "城乡居民基本医疗保险参保登记"):
        services.case_refuse(actor=workers[DEPARTMENTS[name]], case=kids[name], expected_version=None, reasons="演示")
    last = ("户口登记（出生）", "社会保障卡申领")
    barrier = threading.Barrier(len(last))
    failures = []

    def refuse(name: str) -> None:
        try:
            barrier.wait()
            services.case_refuse(
                actor=workers[DEPARTMENTS[name]], case=kids[name], expected_version=None, reasons="同时结束"
            )
        except Exception as error:  # reported below, in the test thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refuse, args=(name,)) for name in last]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    application.refresh_from_db()
    assert application.status == BundleStatus.COMPLETED
    assert Message.objects.filter(recipient=newborn["chen"], topic="bundle.completed").count() == 1

"""Reuse as application material (凡是电子证照库已有材料的不再要求申办人提交): in the materials step a material whose
source is a licence type offers the applicant's valid licences of that type; choosing one (with consent) records the
material as provided from the licence library, checked to belong to the applicant, be valid and of the right type; the
clerk's case page links to the licence's verification instead of a file."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tongban.cases import services as case_services
from tongban.cases.models import Case, CaseMaterial, Provision
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry
from tongban.licences import services
from tongban.licences.errors import LicenceError
from tongban.licences.models import Licence
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.licences.tests.wallet_fixtures import client_for, complete_draft

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tongban.cases.tests.urls_workbench_for_tests")]


def _draft(person, item, applicant=None) -> Case:
    """A draft with the form filled in and no materials yet."""
    from tongban.cases.tests.fixtures import GOOD_ANSWERS, own

    case = case_services.draft_start(actor=person, applicant=applicant or own(person), item=item)
    case_services.draft_save_answers(actor=person, case=case, answers=GOOD_ANSWERS)
    return case


def _use(client, case, material, identifier, consent=True):
    data = {"action": "licence", "material": material.pk, "licence": identifier}
    if consent:
        data["consent"] = "1"
    return client.post(reverse("cases-apply:materials", args=[case.public_id]), data)


def _licence_rows(case):
    return list(
        CaseMaterial.objects.filter(case=case, provision=Provision.LICENCE).values_list("material", "reference")
    )


def test_the_materials_step_offers_the_applicants_valid_licences_of_the_type(
    applicants, food_item, issue, licence_material
):
    li = applicants["li"]
    mine = issue(li, kind="business", render=False)
    expired = issue(li, kind="business", render=False)
    Licence.objects.filter(pk=expired.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    revoked = issue(li, kind="business", render=False)
    services.licence_revoke(actor=None, licence=revoked, reason="依法撤销")
    issue(li, render=False)  # a food licence: another type
    issue(applicants["sun"], kind="business", render=False)  # someone else's
    case = _draft(li, food_item)

    response = client_for(li).get(reverse("cases-apply:materials", args=[case.public_id]))
    rows = {row["material"].pk: row for row in response.context["rows"]}
    assert rows[licence_material.pk]["licences"] == [mine]
    assert all(row["licences"] == [] for pk, row in rows.items() if pk != licence_material.pk)
    page = response.content.decode()
    assert "从我的证照中选择" in page and mine.identifier in page and expired.identifier not in page


def test_choosing_a_licence_needs_consent_then_records_it(applicants, food_item, issue, licence_material):
    li = applicants["li"]
    licence = issue(li, kind="business", render=False)
    case = _draft(li, food_item)
    client = client_for(li)

    refused = _use(client, case, licence_material, licence.identifier, consent=False)
    assert refused.status_code == 400
    assert "请确认同意调取该证照作为申请材料" in refused.content.decode()
    assert _licence_rows(case) == []

    done = _use(client, case, licence_material, licence.identifier)
    assert done.status_code == 302
    assert _licence_rows(case) == [(licence_material.pk, licence.identifier)]
    entry = AuditEntry.objects.filter(action="cases.material.attach").latest("pk")
    assert entry.after == {
        "material": licence_material.pk,
        "provision": "licence",
        "upload": None,
        "licence": licence.identifier,
    }
    page = client.get(reverse("cases-apply:materials", args=[case.public_id])).content.decode()
    assert f"电子证照（{licence.identifier}），从我的证照调取" in page
    # Choosing again replaces the choice rather than adding a second one.
    assert _use(client, case, licence_material, licence.identifier.lower()).status_code == 302
    assert _licence_rows(case) == [(licence_material.pk, licence.identifier)]


@pytest.mark.parametrize("which", ["someone_elses", "expired", "revoked", "wrong_type", "unknown"])
def test_a_licence_that_may_not_stand_in_is_refused_and_nothing_is_attached(
    applicants, food_item, issue, licence_material, which
):
    li = applicants["li"]
    licence = {
        "someone_elses": lambda: issue(applicants["sun"], kind="business", render=False),
        "expired": lambda: issue(li, kind="business", render=False),
        "revoked": lambda: issue(li, kind="business", render=False),
        "wrong_type": lambda: issue(li, render=False),
        "unknown": lambda: None,
    }[which]()
    if which == "expired":
        Licence.objects.filter(pk=licence.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    if which == "revoked":
        services.licence_revoke(actor=None, licence=licence, reason="依法撤销")
    identifier = licence.identifier if licence else "1.2.156.3005.2.YYZZ.X.2026000001.001.0"
    case = _draft(li, food_item)
    before = CaseMaterial.objects.count()

    response = _use(client_for(li), case, licence_material, identifier)
    assert response.status_code == 400
    assert "所选证照不能作为该材料：证照须属于申请人、在有效期内且类型相符" in response.content.decode()
    assert CaseMaterial.objects.count() == before
    with pytest.raises(DomainError) as refused:
        case_services.material_attach(
            actor=li, case=case, material_id=licence_material.pk, provision="licence", reference=identifier
        )
    assert refused.value.code == LicenceError.MATERIAL_LICENCE_INVALID


def test_an_agent_uses_the_enterprises_licence(applicants, food_item, issue, licence_material):
    firm, wu = applicants["firm"], applicants["wu"]
    licence = issue(firm, kind="business", render=False)
    issue(wu, kind="business", render=False)  # her own licence is not the enterprise's
    case = _draft(wu, food_item, case_services.Applicant(account=firm, person=wu))
    client = client_for(wu, acting_for=firm)
    # The business licence is no item's result in her scope, so the wallet does not offer it; the rule for
    # reuse is the applicant's: the enterprise holds it.
    assert _use(client, case, licence_material, licence.identifier).status_code == 302
    assert _licence_rows(case) == [(licence_material.pk, licence.identifier)]


def test_the_materials_page_takes_one_more_query_for_licence_materials(
    applicants, food_item, issue, licence_material, django_assert_max_num_queries
):
    li = applicants["li"]
    case = _draft(li, food_item)
    client = client_for(li)
    issue(li, kind="business", render=False)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("cases-apply:materials", args=[case.public_id]))
    for _ in range(4):
        issue(li, kind="business", render=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("cases-apply:materials", args=[case.public_id]))
    assert len(next(row for row in response.context["rows"] if row["licences"])["licences"]) == 5


def test_the_clerk_sees_the_licence_with_a_link_to_its_verification(
    applicants, crew, food_item, issue, licence_material
):
    li = applicants["li"]
    licence = issue(li, kind="business", render=False)
    case = complete_draft(li, food_item)
    CaseMaterial.objects.filter(case=case, material=licence_material).delete()
    case_services.material_attach(
        actor=li, case=case, material_id=licence_material.pk, provision="licence", reference=licence.identifier
    )
    case = case_services.case_submit(actor=li, case=Case.objects.get(pk=case.pk))
    response = client_for(crew["amr_clerk"]).get(reverse("cases-workbench:case", args=[case.number]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("licences:verify", args=[licence.identifier])}"' in page
    assert "可信等级 A：电子证照库调取，点击查验" in page
    slot = next(slot for slot in response.context["slots"] if slot.material.pk == licence_material.pk)
    assert not slot.missing and [p.provision for p in slot.provided] == ["licence"]


def test_the_one_shot_submission_checks_a_licence_material_the_same_way(applicants, food_item, issue, licence_material):
    """The API's create-and-submit path (case_submit_new) accepts only the applicant's own valid licence of the type."""
    from tongban.cases.tests.fixtures import GOOD_ANSWERS, own, stored_upload

    li, sun = applicants["li"], applicants["sun"]
    theirs = issue(sun, kind="business", render=False)
    mine = issue(li, kind="business", render=False)

    def rows(identifier):
        out = []
        for material in food_item.published_version.materials.order_by("order"):
            if material.pk == licence_material.pk:
                out.append({"material": material.pk, "provision": "licence", "reference": identifier})
            elif material.necessity == "required":
                upload = stored_upload(li, content=b"%PDF-1.4 " + material.name.encode())
                out.append({"material": material.pk, "upload": upload.pk, "provision": "upload"})
            elif material.necessity == "deferrable":
                out.append({"material": material.pk, "provision": "deferred"})
        return out

    def submit(identifier, key):
        return case_services.case_submit_new(
            actor=li,
            applicant=own(li),
            item=food_item,
            answers=GOOD_ANSWERS,
            materials=rows(identifier),
            idempotency_key=key,
        )

    with pytest.raises(DomainError) as refused:
        submit(theirs.identifier, "k-theirs")
    assert refused.value.code == LicenceError.MATERIAL_LICENCE_INVALID
    assert not Case.objects.filter(applicant=li).exists()
    case, created = submit(mine.identifier.lower(), "k-mine")
    assert created is True
    assert _licence_rows(case) == [(licence_material.pk, mine.identifier)]

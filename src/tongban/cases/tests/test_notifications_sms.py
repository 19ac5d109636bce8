"""Who is told what by SMS (and site message) on each case event: the applicant and the person who filled the case
in, never a clerk; the text goes through the outbox and is sent once it is drained."""

from __future__ import annotations

import datetime as dt

import pytest

from tongban.accounts.models import SmsMessage
from tongban.cases import services
from tongban.cases.models import Case
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import complete_draft, stored_upload, submitted_case
from tongban.core import outbox
from tongban.core.models import OutboxMessage
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db
LI_PHONE, WU_PHONE = "13805710003", "13805710006"


def sent() -> list[tuple[str, str, str]]:
    """Deliver everything due, then the texts the local sender recorded: (phone, purpose, body), oldest first."""
    outbox.drain(limit=1000)
    assert not OutboxMessage.objects.filter(topic="accounts.sms", status="pending").exists()
    return [(sms.phone, sms.purpose, sms.body) for sms in SmsMessage.objects.order_by("id")]


def texts_after(action) -> list[tuple[str, str, str]]:
    before = len(sent())
    action()
    return sent()[before:]


def test_received(food_item, applicants):
    case = submitted_case(applicants["li"], food_item)
    assert sent() == [
        (
            LI_PHONE,
            "case.received",
            f"【通办】您申请的“食品经营许可”已接件，办件编号 {case.number}，"
            f"受理期限 {case.acceptance_due.isoformat()}。",
        )
    ]
    assert list(Message.objects.values_list("recipient", "topic", "link")) == [
        (applicants["li"].pk, "case.received", f"/cases/mine/{case.public_id}/")
    ]


def test_accepted(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)

    def accept():
        services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)

    texts = texts_after(accept)
    case.refresh_from_db()
    assert texts == [
        (LI_PHONE, "case.accepted", f"【通办】您的办件 {case.number} 已受理，承诺 {case.promised_due} 前办结。")
    ]


def test_refused(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)

    def refuse():
        services.case_refuse(
            actor=crew["amr_clerk"], case=case, expected_version=case.lock_version, reasons="不属于本机关职权"
        )

    assert texts_after(refuse) == [
        (LI_PHONE, "case.refused", f"【通办】您的办件 {case.number} 不予受理，理由及救济途径见不予受理通知书。")
    ]


def test_supplement_lists_every_item(food_item, applicants, crew):
    case = submitted_case(applicants["li"], food_item)
    first, second = food_item.published_version.materials.order_by("order")[:2]

    def request():
        services.case_request_supplement(
            actor=crew["amr_clerk"],
            case=case,
            expected_version=case.lock_version,
            items=[{"material": first.pk, "problem": "未签字"}, {"material": second.pk, "problem": "模糊"}],
        )

    assert texts_after(request) == [
        (
            LI_PHONE,
            "case.supplement",
            f"【通办】您的办件 {case.number} 需要补正材料：食品经营许可申请书：未签字；营业执照复印件：模糊。"
            "请登录后在“我的办件”中补正。",
        )
    ]


def test_supplement_returned_sends_no_text(food_item, applicants, crew):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    material = food_item.published_version.materials.order_by("order").first()
    services.case_request_supplement(
        actor=crew["amr_clerk"],
        case=case,
        expected_version=case.lock_version,
        items=[{"material": material.pk, "problem": "x"}],
    )
    upload = stored_upload(li, content=b"%PDF-1.4 signed")
    services.material_attach(actor=li, case=case, material_id=material.pk, provision="upload", upload_id=upload.pk)
    assert texts_after(lambda: services.case_supplement_return(actor=li, case=case)) == []


def test_deemed_accepted(food_item, applicants):
    case = submitted_case(applicants["li"], food_item)
    texts = texts_after(lambda: services.deem_overdue_acceptances(today=case.acceptance_due + dt.timedelta(days=1)))
    case.refresh_from_db()
    assert texts == [
        (
            LI_PHONE,
            "case.deemed_accepted",
            f"【通办】您的办件 {case.number} 办理机构未按时作出受理决定，依法视为自 {case.accepted_on} 起受理，"
            f"承诺 {case.promised_due} 前办结。",
        )
    ]


def test_agent_filing_for_an_enterprise_is_texted_and_the_enterprise_gets_a_site_message(food_item, applicants, crew):
    wu, firm = applicants["wu"], applicants["firm"]
    assert firm.phone == ""  # an enterprise account has no phone of its own: its people read it in 我的消息
    case = submitted_case(wu, food_item, services.Applicant(account=firm, person=wu))
    assert [(phone, purpose) for phone, purpose, _ in sent()] == [(WU_PHONE, "case.received")]
    assert set(Message.objects.filter(topic="case.received").values_list("recipient", flat=True)) == {firm.pk, wu.pk}

    def accept():
        services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)

    assert [(phone, purpose) for phone, purpose, _ in texts_after(accept)] == [(WU_PHONE, "case.accepted")]


def test_a_clerk_filing_at_the_counter_is_not_texted(food_item, applicants, crew, county):
    li, clerk = applicants["li"], crew["hall_clerk"]
    draft = complete_draft(li, food_item)
    Case.objects.filter(pk=draft.pk).update(submitted_by=clerk, channel="window", accepting_hall=county["hall"])
    services.case_submit(actor=clerk, case=Case.objects.get(pk=draft.pk))
    assert [(phone, purpose) for phone, purpose, _ in sent()] == [(LI_PHONE, "case.received")]
    assert list(Message.objects.values_list("recipient", flat=True)) == [li.pk]

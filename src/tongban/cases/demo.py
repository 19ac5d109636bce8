"""Demo cases: a few applications in the states a visitor should see, made through the real services.

- 好味道餐饮 (by its representative 孙丽华) applied online for 食品经营许可证核发: waiting in 孙科员's 待预审 list.
- 李建国 applied for 个体工商户设立登记; 孙科员 asked for a supplement: 李建国 sees 待补正 in 我的办件.
- 吴晓燕, agent of 好味道, applied for 食品经营许可证核发 again (a second shop) and it was accepted.
- 王德福 (80) walked into 富春江镇便民服务中心; 王科员 checked his ID card (L3) and registered 高龄津贴申领 for him,
  which the county civil affairs bureau (郑科员) now has to pre-review (全县通办, 受办分离).

Review and decision (the review workbench has something in every list):
- 吴晓燕's accepted food case is in parallel review (并联审批): 金科员 of the health bureau agreed in the 协办部门 lane;
  孙科员's 牵头部门审查 is still open, then 赵科长 decides.
- 周敏 applied for 企业设立登记 (承办 → 审核 → 审批) and 孙科员 accepted it a week ago: its 承办 step is overdue
  (已超期, red in the worklists and in 刘主任's supervision view). Only this case's dates are moved back
  (`_backdate`); every status was reached through the services.
- 陈志强's 企业设立登记 passed 承办 (孙科员) and 审核 (秦科员): it waits in 赵科长's 待审批.
- 好味道's food licence for its first shop (applied by 孙丽华) went the whole way: accepted, both departments agreed,
  the owed 健康证明 arrived, 赵科长 granted.

Idempotent: nothing is made when the demo cases exist already. Answers are filled from each item's own form schema
(prefill sources first), so the demo follows whatever the demo catalogue's forms say.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone
from reportlab.pdfgen import canvas

from tongban.accounts.models import User
from tongban.cases import counter, decisions, review, services
from tongban.cases.models import Case, CaseEvent, CaseStatus, Provision, ReviewTask, TaskOutcome, TaskStatus
from tongban.cases.uploads import upload_store
from tongban.catalog.models import ImplementationItem, ItemVersion, MaterialNecessity
from tongban.core.calendar import add_working_days
from tongban.core.models import HallWindow, Organisation
from tongban.demo import data

MARKER_ITEM = "个体工商户设立登记"


def _person(phone: str) -> User:
    return User.objects.get(username=phone)


def _enterprise() -> User:
    return User.objects.get(username=data.ENTERPRISES[0].uscc)


def _item(name: str, organisation_name: str = "") -> ImplementationItem:
    items = ImplementationItem.objects.filter(published_version__name=name)
    if organisation_name:
        items = items.filter(organisation__name__contains=organisation_name)
    return items.select_related("published_version").order_by("pk").first()


def _value(name: str, prop: dict, source: str, person: User, account: User):
    """A plausible answer for one form field."""
    by_source = {
        "profile.real_name": person.real_name,
        "profile.id_number": person.id_number,
        "profile.phone": person.phone,
        "enterprise.name": account.display_name,
        "enterprise.uscc": account.username,
    }
    if by_source.get(source):
        return by_source[source]
    pattern = prop.get("pattern", "")
    if "17" in pattern:
        return person.id_number
    if pattern.startswith("^1"):
        return person.phone
    if "HJ-N" in pattern:
        return account.username
    if prop.get("type") == "array":
        return prop.get("items", {}).get("enum", [])[:1]
    if "enum" in prop:
        return prop["enum"][0]
    if prop.get("format") == "date":
        return "2026-10-08"
    if prop.get("type") in ("number", "integer"):
        return max(prop.get("minimum", 1), 1) * 30
    if prop.get("type") == "boolean":
        return True
    return f"演示：{prop.get('title', name)}"[: prop.get("maxLength", 100)]


def demo_answers(version: ItemVersion, person: User, account: User) -> dict:
    """Answers for every field of the version's form."""
    prefill = version.form_ui.get("prefill", {})
    properties = version.form_schema.get("properties", {})
    return {name: _value(name, prop, prefill.get(name, ""), person, account) for name, prop in properties.items()}


def _sample_pdf(title: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setTitle(title)
    page.drawString(72, 760, "Tongban demo material")
    page.drawString(72, 740, title.encode("unicode_escape").decode("ascii")[:80])
    page.save()
    return SimpleUploadedFile(f"{title}.pdf", buffer.getvalue(), content_type="application/pdf")


def _provide_materials(case: Case, uploader: User) -> None:
    for material in case.version.materials.all():
        if material.necessity == MaterialNecessity.DEFERRABLE:
            services.material_attach(actor=uploader, case=case, material_id=material.pk, provision=Provision.DEFERRED)
        elif material.necessity == MaterialNecessity.REQUIRED:
            upload = upload_store(actor=uploader, file=_sample_pdf(material.name))
            services.material_attach(
                actor=uploader, case=case, material_id=material.pk, provision=Provision.UPLOAD, upload_id=upload.pk
            )


def _apply_online(person: User, account: User, item: ImplementationItem) -> Case:
    applicant = services.Applicant(account=account, person=person)
    case = services.draft_start(actor=person, applicant=applicant, item=item)
    answers = demo_answers(case.version, person, account)
    services.draft_save_answers(actor=person, case=case, answers=answers)
    _provide_materials(case, person)
    return services.case_submit(actor=person, case=case)


def _walk_in_at_town(clerk: User, person: User, card: data.DemoPerson, item: ImplementationItem) -> Case:
    """王科员 holds the person's ID card at the town centre's window: L3, and the case is filed for them."""
    hall = Organisation.objects.get(name="富春江镇便民服务中心")
    window = HallWindow.objects.filter(hall=hall, kind=HallWindow.Kind.ACCEPTANCE).first()
    case = counter.counter_start(
        actor=clerk,
        hall=hall,
        window=window,
        item=item,
        walk_in=counter.WalkIn(account=person, present=person),
        identity_checked=True,
        card_name=card.name,
        card_number=card.id_number,
    )
    person.refresh_from_db()
    services.draft_save_answers(actor=clerk, case=case, answers=demo_answers(case.version, person, person))
    _provide_materials(case, clerk)
    return services.case_submit(actor=clerk, case=case)


def _staff(username: str) -> User:
    return User.objects.get(username=username)


def _finish_step(case: Case, step_name: str, actor: User, outcome: str = TaskOutcome.AGREE, opinion: str = "同意"):
    """The open step of that name finished through the review service, as the handler's page would."""
    task = case.tasks.get(status=TaskStatus.OPEN, step_name=step_name)
    review.task_complete(actor=actor, task=task, outcome=outcome, opinion=opinion, expected_version=task.lock_version)


def _accept(case: Case, clerk: User) -> Case:
    return services.case_accept(actor=clerk, case=case, expected_version=case.lock_version)


def _backdate(case: Case, working_days: int) -> None:
    """Move an accepted case's dates `working_days` working days into the past, as if it had been accepted then, so
    a demo visitor sees an overdue step today. Only dates move: the statuses came from the services."""
    today = timezone.localdate()
    past = add_working_days(today, -working_days).date
    delta = dt.timedelta(days=(today - past).days)

    def earlier(day: dt.date | None) -> dt.date | None:
        return add_working_days(day, -working_days).date if day else day

    case.refresh_from_db()
    Case.objects.filter(pk=case.pk).update(
        received_at=F("received_at") - delta,
        accepted_at=F("accepted_at") - delta,
        accepted_on=past,
        promised_due=earlier(case.promised_due),
        statutory_due=earlier(case.statutory_due),
    )
    CaseEvent.objects.filter(case=case).update(created_at=F("created_at") - delta)
    for task in case.tasks.all():
        ReviewTask.objects.filter(pk=task.pk).update(
            created_at=F("created_at") - delta,
            finished_at=F("finished_at") - delta,
            due_on=earlier(task.due_on),
            escalate_on=earlier(task.escalate_on),
        )


def _review_demo(second_shop: Case) -> list[Case]:
    """The review and decision cases (see the module docstring); `second_shop` is the accepted food case."""
    clerk_sun, approver_zhao, health = _staff("reviewer_sun"), _staff("approver_zhao"), _staff("reviewer_jin")
    _finish_step(second_shop, "协办部门审查", health, opinion="从业人员健康管理制度齐全，同意")
    food, registration = _item("食品经营许可证核发"), _item("企业设立登记")
    zhou, chen, sun = _person("13805710005"), _person("13805710004"), _person("13805710007")
    overdue = _accept(_apply_online(zhou, zhou, registration), clerk_sun)
    _backdate(overdue, 6)
    waiting = _accept(_apply_online(chen, chen, registration), clerk_sun)
    _finish_step(waiting, "承办", clerk_sun, opinion="申请材料齐全，符合法定形式，拟予登记")
    _finish_step(waiting, "审核", _staff("reviewer_qin"), opinion="同意承办意见")
    decided = _accept(_apply_online(sun, _enterprise(), food), clerk_sun)
    _finish_step(decided, "牵头部门审查", clerk_sun, opinion="材料齐全，经营场所符合要求，同意")
    _finish_step(decided, "协办部门审查", health, opinion="同意")
    for owed in decisions.owed_materials(decided):
        upload = upload_store(actor=sun, file=_sample_pdf(owed.name))
        decisions.deferred_supply(actor=sun, case=decided, material_id=owed.pk, upload_id=upload.pk)
    _finish_step(
        decided, "审批", approver_zhao, TaskOutcome.GRANT, "符合《食品经营许可和备案管理办法》规定的条件，准予许可"
    )
    return [overdue, waiting, decided]


def seed_cases(say: Callable[[str], None] = lambda _message: None) -> None:
    """Make the demo cases once (see the module docstring)."""
    if Case.objects.filter(version__name=MARKER_ITEM).exclude(status=CaseStatus.DRAFT).exists():
        return
    sun, li, wu, wang = (_person(phone) for phone in ("13805710007", "13805710003", "13805710006", "13805710002"))
    firm = _enterprise()
    clerk_sun = User.objects.get(username="reviewer_sun")
    food = _item("食品经营许可证核发")
    waiting = _apply_online(sun, firm, food)
    startup = _apply_online(li, li, _item(MARKER_ITEM))
    material = startup.version.materials.order_by("order").first()
    services.case_request_supplement(
        actor=clerk_sun,
        case=startup,
        expected_version=startup.lock_version,
        items=[{"material": material.pk, "problem": "申请书未签名，请签名后重新上传扫描件"}],
    )
    second_shop = _apply_online(wu, firm, food)
    services.case_accept(actor=clerk_sun, case=second_shop, expected_version=second_shop.lock_version)
    walk_in = _walk_in_at_town(User.objects.get(username="clerk_wang"), wang, data.PEOPLE[1], _item("高龄津贴申领"))
    reviewed = _review_demo(second_shop)
    for case in (waiting, startup, second_shop, walk_in, *reviewed):
        case.refresh_from_db()
        say(f"演示办件 {case.number}：{case.version.name}（{case.applicant_name}）{case.get_status_display()}")

"""Demo cases: a few applications in the states a visitor should see, made through the real services.

- 好味道餐饮 (by its representative 孙丽华) applied online for 食品经营许可证核发: waiting in 孙科员's 待预审 list.
- 李建国 applied for 个体工商户设立登记; 孙科员 asked for a supplement: 李建国 sees 待补正 in 我的办件.
- 吴晓燕, agent of 好味道, applied for 食品经营许可证核发 again (a second shop) and it was accepted.
- 王德福 (80) walked into 富春江镇便民服务中心; 王科员 checked his ID card (L3) and registered 高龄津贴申领 for him,
  which the county civil affairs bureau (郑科员) now has to pre-review (全县通办, 受办分离).

Idempotent: nothing is made when the demo cases exist already. Answers are filled from each item's own form schema
(prefill sources first), so the demo follows whatever the demo catalogue's forms say.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.pdfgen import canvas

from tongban.accounts.models import User
from tongban.cases import counter, services
from tongban.cases.models import Case, CaseStatus, Provision
from tongban.cases.uploads import upload_store
from tongban.catalog.models import ImplementationItem, ItemVersion, MaterialNecessity
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
    for case in (waiting, startup, second_shop, walk_in):
        case.refresh_from_db()
        say(f"演示办件 {case.number}：{case.version.name}（{case.applicant_name}）{case.get_status_display()}")

"""Online application pages: start (sign-in, real-name level, whom for), the form's short pages, materials, check your
answers, idempotent submission, confirmation; drafts saved on every page and resumed; bad input refused in Chinese
with nothing kept half-way and an audit row."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tongban.accounts.acting import SESSION_KEY
from tongban.accounts.models import AgentAuthorisation, RealNameLevel
from tongban.accounts.tests.identity_fixtures import OTHER_ITEM, person
from tongban.cases import services
from tongban.cases.forms_apply import prefill_answers
from tongban.cases.models import Case, CaseMaterial, CaseStatus, StoredFile, Upload
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import FORM_SCHEMA, GOOD_ANSWERS, PDF_BYTES, complete_draft, own
from tongban.catalog import services as catalog_services
from tongban.catalog.models import ItemVersion
from tongban.core.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tongban.cases.tests.urls_for_tests")]

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture
def li_client(client, applicants):
    client.force_login(applicants["li"])
    return client


def _start_url(item) -> str:
    return reverse("cases-apply:start", args=[item.code])


def _start(client, item, applicant: str = "self"):
    return client.post(_start_url(item), {"applicant": applicant})


def _draft_of(user) -> Case:
    return Case.objects.get(submitted_by=user, status=CaseStatus.DRAFT)


def _page_url(case, number: int) -> str:
    return reverse("cases-apply:page", args=[case.public_id, number])


def _refusals(user) -> list[dict]:
    return list(AuditEntry.objects.filter(actor=user, action="cases.apply.refuse").values_list("after", flat=True))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _fill_form(client, case) -> None:
    client.post(_page_url(case, 1), {"shop_name": "李记小面馆", "address": GOOD_ANSWERS["address"], "area": "45"})
    client.post(_page_url(case, 2), {"categories": ["热食类食品制售"]})
    client.post(_page_url(case, 3), {"contact_phone": "13805710003"})


def _upload(client, case, material, content=PDF_BYTES, name="申请书.pdf"):
    return client.post(
        reverse("cases-apply:materials", args=[case.public_id]),
        {"action": "upload", "material": material.pk, "file": SimpleUploadedFile(name, content)},
    )


def _provide_materials(client, case) -> None:
    for material in case.version.materials.all():
        if material.necessity == "required":
            _upload(client, case, material, PDF_BYTES + material.name.encode(), f"{material.name}.pdf")
        elif material.necessity == "deferrable":
            client.post(
                reverse("cases-apply:materials", args=[case.public_id]), {"action": "defer", "material": material.pk}
            )


# ---------------------------------------------------------------------------------------------------------------
# Start


def test_start_requires_sign_in_and_comes_back(client, food_item):
    response = client.get(_start_url(food_item))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/sign-in/?next=/cases/apply/{food_item.code}/"


def test_start_page_says_what_you_need_and_how_long(li_client, food_item, django_assert_num_queries):
    with django_assert_num_queries(13):
        response = li_client.get(_start_url(food_item))
    assert response.status_code == 200
    text = _text(response)
    assert "<h1>食品经营许可</h1>" in text
    for name in ("食品经营许可申请书", "营业执照复印件", "经营场所平面图"):
        assert f"<li>{name}</li>" in text
    assert "食品安全管理制度文本（可以容缺后补）" in text
    assert "填写 3 页申请表，大约需要 15 分钟。" in text
    assert 'value="self" checked' in text and "本人（李建国）" in text


def test_an_unknown_or_unpublished_item_is_not_found(li_client, food_item, crew):
    assert li_client.get(reverse("cases-apply:start", args=["X" * 31])).status_code == 404
    catalog_services.item_retire(actor=crew["catreviewer"], item=food_item, reason="职能调整")
    response = _start(li_client, food_item)
    assert response.status_code == 404 and Case.objects.count() == 0


def test_a_person_below_the_level_is_told_to_verify_and_nothing_starts(client, food_item):
    zhang = person("13805710004", "张秀英", level=RealNameLevel.L1)
    client.force_login(zhang)
    page = _text(client.get(_start_url(food_item)))
    assert "该事项要求实名等级 L2，您的账号目前是 L1。请先完成实名核验，再回来申请。" in page
    assert f'<a href="{reverse("accounts:realname")}">去个人中心完成实名核验</a>' in page
    assert "开始申请" not in page

    response = _start(client, food_item)  # a hand-made post is refused just the same
    assert response.status_code == 403
    assert "该事项要求实名等级 L2，请先完成实名核验" in _text(response)
    assert Case.objects.count() == 0
    assert _refusals(zhang) == [
        {
            "refused": "accounts.realname_level_required",
            "reason": "realname_level_required",
            "step": "start",
            "applicant": "self",
        }
    ]


def test_an_item_not_offered_online_cannot_be_started_online(li_client, food_item, applicants):
    ItemVersion.objects.filter(pk=food_item.published_version_id).update(handling_forms=["window"])
    page = _text(li_client.get(_start_url(food_item)))
    assert "该事项暂不支持网上申请，请带齐材料到办理地点办理" in page and "开始申请" not in page
    response = _start(li_client, food_item)
    assert response.status_code == 409 and Case.objects.count() == 0
    assert _refusals(applicants["li"])[0]["refused"] == "cases.online_not_offered"


def test_start_opens_a_draft_prefilled_from_the_profile(li_client, food_item, applicants):
    response = _start(li_client, food_item)
    case = _draft_of(applicants["li"])
    assert response.status_code == 302 and response["Location"] == _page_url(case, 1)
    assert case.applicant == applicants["li"] and case.applicant_name == "李建国"
    assert case.form_data == {"contact_phone": "13805710003"}  # form_ui prefill: profile.phone


def test_an_agent_starts_for_the_enterprise_and_acts_for_it(client, food_item, applicants):
    wu, firm = applicants["wu"], applicants["firm"]
    client.force_login(wu)
    page = _text(client.get(_start_url(food_item)))
    assert f'value="enterprise-{firm.pk}"' in page and "桐庐县好味道餐饮有限公司（我是经办人）" in page
    response = _start(client, food_item, f"enterprise-{firm.pk}")
    case = _draft_of(wu)
    assert response["Location"] == _page_url(case, 1)
    assert (case.applicant, case.applicant_kind, case.agent_name) == (firm, "enterprise", "吴晓燕")
    assert client.session[SESSION_KEY] == firm.pk
    assert client.get(_page_url(case, 1)).status_code == 200


def test_an_agent_outside_their_scope_cannot_start_for_the_enterprise(client, food_item, applicants):
    wu, firm = applicants["wu"], applicants["firm"]
    AgentAuthorisation.objects.filter(enterprise=firm).update(item_codes=[OTHER_ITEM])
    client.force_login(wu)
    page = _text(client.get(_start_url(food_item)))
    assert f'value="enterprise-{firm.pk}" disabled' in page
    assert "您的经办授权不包含该事项，请联系企业法定代表人" in page

    response = _start(client, food_item, f"enterprise-{firm.pk}")
    assert response.status_code == 403
    assert "您的经办授权不包含该事项，请联系企业法定代表人" in _text(response)
    assert Case.objects.count() == 0 and SESSION_KEY not in client.session
    assert _refusals(wu)[0]["refused"] == "accounts.agent_out_of_scope"


def test_prefill_from_the_enterprise_and_the_person(applicants):
    version = ItemVersion(
        form_schema={
            "type": "object",
            "properties": {
                name: {"type": "string", "title": name}
                for name in ("company", "code", "boss", "agent", "born", "sex", "home")
            },
        },
        form_ui={
            "prefill": {
                "company": "enterprise.name",
                "code": "enterprise.uscc",
                "boss": "enterprise.legal_representative",
                "agent": "profile.real_name",
                "born": "profile.birth_date",
                "sex": "profile.gender",
                "home": "profile.address",  # no registry keeps it: left for the person
            }
        },
    )
    firm, wu = applicants["firm"], applicants["wu"]
    assert prefill_answers(version, services.Applicant(account=firm, person=wu)) == {
        "company": "桐庐县好味道餐饮有限公司",
        "code": firm.username,
        "boss": "孙丽华",
        "agent": "吴晓燕",
        "born": "1998-03-04",
        "sex": "女",
    }
    assert prefill_answers(version, own(wu)) == {"agent": "吴晓燕", "born": "1998-03-04", "sex": "女"}


# ---------------------------------------------------------------------------------------------------------------
# The form's pages


def test_an_invalid_page_shows_the_errors_keeps_the_values_and_saves_the_draft(li_client, food_item, applicants):
    li = applicants["li"]
    _start(li_client, food_item)
    case = _draft_of(li)
    response = li_client.post(_page_url(case, 1), {"shop_name": "", "address": "迎春南路 18 号", "area": "四十五"})
    assert response.status_code == 400
    text = _text(response)
    assert '<h2 id="error-summary-title">请更正以下问题</h2>' in text
    assert '<li><a href="#field-shop_name">请填写店铺名称</a></li>' in text
    assert '<li><a href="#field-area">经营面积（平方米）请输入数字</a></li>' in text
    assert 'id="field-area-error"><span class="visually-hidden">错误：</span>经营面积（平方米）请输入数字</p>' in text
    assert 'name="address" value="迎春南路 18 号"' in text and 'name="area" value="四十五"' in text
    assert "<title>错误：店铺信息" in text
    case.refresh_from_db()
    assert case.form_data["address"] == "迎春南路 18 号" and case.current_page == 1
    assert _refusals(li)[-1] == {
        "refused": "cases.invalid_form",
        "reason": "invalid_form",
        "step": "page-1",
        "fields": ["shop_name", "area"],
    }


def test_a_valid_page_continues_and_back_links_go_one_step_back(li_client, food_item, applicants):
    _start(li_client, food_item)
    case = _draft_of(applicants["li"])
    response = li_client.post(_page_url(case, 1), {"shop_name": "李记", "address": "迎春南路", "area": "45"})
    assert response["Location"] == _page_url(case, 2)
    case.refresh_from_db()
    assert case.current_page == 2 and case.form_data["area"] == 45
    page_two = _text(li_client.get(_page_url(case, 2)))
    assert f'<a class="back-link" href="{_page_url(case, 1)}">返回上一步</a>' in page_two
    assert "第 2 步，共 5 步" in page_two
    page_one = _text(li_client.get(_page_url(case, 1)))
    assert f'<a class="back-link" href="{_start_url(food_item)}">' in page_one
    assert 'name="shop_name" value="李记"' in page_one


def test_save_for_later_and_resume_where_the_person_stopped(li_client, food_item, applicants):
    _start(li_client, food_item)
    case = _draft_of(applicants["li"])
    li_client.post(_page_url(case, 1), {"shop_name": "李记", "address": "迎春南路", "area": "45"})
    response = li_client.post(_page_url(case, 2), {"categories": ["冷食类食品制售"], "save": "1"})
    assert response["Location"] == reverse("cases-apply:saved", args=[case.public_id])
    assert "草稿已保存" in _text(li_client.get(response["Location"]))
    case.refresh_from_db()
    assert case.form_data["categories"] == ["冷食类食品制售"] and case.current_page == 2
    resumed = li_client.get(reverse("cases-apply:draft", args=[case.public_id]))
    assert resumed["Location"] == _page_url(case, 2)
    assert 'value="冷食类食品制售" checked' in _text(li_client.get(_page_url(case, 2)))


def test_someone_elses_draft_is_not_found(client, food_item, applicants):
    case = services.draft_start(actor=applicants["li"], applicant=own(applicants["li"]), item=food_item)
    client.force_login(applicants["sun"])
    for url in (
        _page_url(case, 1),
        reverse("cases-apply:materials", args=[case.public_id]),
        reverse("cases-apply:check", args=[case.public_id]),
        reverse("cases-apply:draft", args=[case.public_id]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(_page_url(case, 1), {"shop_name": "抢注"}).status_code == 404
    case.refresh_from_db()
    assert case.form_data == {}


def test_form_page_query_count(li_client, food_item, applicants, django_assert_num_queries):
    _start(li_client, food_item)
    case = _draft_of(applicants["li"])
    with django_assert_num_queries(5):
        assert li_client.get(_page_url(case, 1)).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# Materials


@pytest.fixture
def draft(li_client, food_item, applicants):
    _start(li_client, food_item)
    case = _draft_of(applicants["li"])
    _fill_form(li_client, case)
    return case


def _material(case, necessity: str):
    return case.version.materials.filter(necessity=necessity).first()


def test_upload_a_material_then_remove_it(li_client, draft):
    material = _material(draft, "required")
    response = _upload(li_client, draft, material, name="../../etc/passwd.pdf")
    assert response.status_code == 302
    attached = CaseMaterial.objects.get(case=draft)
    assert (attached.material, attached.provision, attached.upload.original_name) == (material, "upload", "passwd.pdf")
    page = _text(li_client.get(reverse("cases-apply:materials", args=[draft.public_id])))
    assert "已上传“passwd.pdf”（食品经营许可申请书）。" in page
    assert "可以上传 PDF、JPG、PNG、OFD 文件，每个文件不超过 20 MB。" in page
    li_client.post(
        reverse("cases-apply:materials", args=[draft.public_id]), {"action": "remove", "attached": attached.pk}
    )
    assert CaseMaterial.objects.filter(case=draft).count() == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (EXE, "营业执照.pdf", "只能上传 PDF、JPG、PNG 或 OFD 文件（按文件内容识别，而非文件名）"),
        (b"", "空.pdf", "文件是空的，请重新选择"),
        (PDF_BYTES + b"0" * 2048, "大.pdf", "文件超过 1 KB，请压缩后重新上传"),
    ],
)
def test_a_bad_file_is_refused_on_the_page_and_nothing_is_kept(li_client, draft, settings, content, name, message):
    settings.TONGBAN_UPLOAD_MAX_BYTES = 1024
    material = _material(draft, "required")
    response = _upload(li_client, draft, material, content, name)
    assert response.status_code == 400
    text = _text(response)
    assert f'<li><a href="#material-{material.pk}-file">{message}</a></li>' in text
    assert f'id="material-{material.pk}-error"><span class="visually-hidden">错误：</span>{message}</p>' in text
    assert CaseMaterial.objects.count() == 0 and Upload.objects.count() == 0 and StoredFile.objects.count() == 0
    if content:
        assert AuditEntry.objects.filter(action="cases.upload.refuse").count() == 1


def test_defer_only_where_the_material_allows_it(li_client, draft, applicants):
    url = reverse("cases-apply:materials", args=[draft.public_id])
    deferrable, required = _material(draft, "deferrable"), _material(draft, "required")
    assert li_client.post(url, {"action": "defer", "material": deferrable.pk}).status_code == 302
    assert CaseMaterial.objects.get(case=draft).provision == "deferred"
    response = li_client.post(url, {"action": "defer", "material": required.pk})
    assert response.status_code == 400 and "该材料不能容缺后补" in _text(response)
    assert CaseMaterial.objects.filter(case=draft).count() == 1
    assert _refusals(applicants["li"])[-1]["refused"] == "cases.material_not_deferrable"


def test_continue_with_materials_missing_lists_each(li_client, draft):
    response = li_client.post(reverse("cases-apply:materials", args=[draft.public_id]), {"action": "continue"})
    assert response.status_code == 400
    text = _text(response)
    for material in draft.version.materials.exclude(necessity="optional"):
        assert f'<a href="#material-{material.pk}-file">请提供“{material.name}”</a>' in text


def test_materials_page_query_count(li_client, draft, django_assert_num_queries):
    _provide_materials(li_client, draft)
    with django_assert_num_queries(7):
        assert li_client.get(reverse("cases-apply:materials", args=[draft.public_id])).status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# Check your answers, submit, confirmation


def _submit(client, case, key="k-1"):
    return client.post(reverse("cases-apply:submit"), {"draft": str(case.public_id), "idempotency_key": key})


def test_check_answers_lists_everything_with_change_links(li_client, draft, django_assert_num_queries):
    _provide_materials(li_client, draft)
    assert li_client.post(reverse("cases-apply:materials", args=[draft.public_id]), {"action": "continue"})[
        "Location"
    ] == reverse("cases-apply:check", args=[draft.public_id])
    with django_assert_num_queries(6):
        response = li_client.get(reverse("cases-apply:check", args=[draft.public_id]))
    text = _text(response)
    assert "<dt>居民身份证</dt><dd>3301**********0115</dd>" in text  # masked
    assert "<dt>店铺名称</dt> <dd>李记小面馆</dd>" in text
    assert "<dt>经营项目</dt> <dd>热食类食品制售</dd>" in text
    assert f'href="{_page_url(draft, 1)}?change=1#field-area">修改<span class="visually-hidden">经营面积' in text
    assert "<dt>食品安全管理制度文本</dt> <dd>容缺后补</dd>" in text
    assert f'name="draft" value="{draft.public_id}"' in text and 'name="idempotency_key" value="' in text


def test_a_change_from_check_answers_returns_there(li_client, draft):
    response = li_client.post(f"{_page_url(draft, 2)}?change=1", {"categories": ["预包装食品销售"]})
    assert response["Location"] == reverse("cases-apply:check", args=[draft.public_id])


def test_submit_then_a_double_click_and_a_replay_give_the_same_case(li_client, draft, applicants):
    _provide_materials(li_client, draft)
    first = _submit(li_client, draft, "token-1")
    case = Case.objects.get(pk=draft.pk)
    assert case.status == CaseStatus.RECEIVED and case.idempotency_key == "token-1"
    confirmation = reverse("cases-apply:confirmation", args=[case.public_id])
    assert first["Location"] == confirmation
    assert _submit(li_client, draft, "token-1")["Location"] == confirmation  # double click
    assert _submit(li_client, draft, "token-2")["Location"] == confirmation  # an old page posted again
    assert li_client.post(reverse("cases-apply:submit"), {"idempotency_key": "token-1"})["Location"] == confirmation
    assert Case.objects.exclude(status=CaseStatus.DRAFT).count() == 1 and Case.objects.count() == 1
    assert case.events.count() == 1 and case.documents.count() == 1


def test_confirmation_shows_number_query_code_deadline_and_receipt(li_client, draft):
    _provide_materials(li_client, draft)
    _submit(li_client, draft)
    case = Case.objects.get(pk=draft.pk)
    receipt = case.documents.get()
    text = _text(li_client.get(reverse("cases-apply:confirmation", args=[case.public_id])))
    assert f"办件编号<strong>{case.number}</strong>" in text
    assert f'<strong class="big-code">{case.query_code}</strong>' in text
    due = case.acceptance_due.isoformat()  # dates as YYYY-MM-DD (国办发〔2017〕47号)
    assert f"<dt>受理期限</dt><dd>{due}前</dd>" in text
    assert "接下来会怎样" in text
    assert f'<a href="/cases/mine/{case.public_id}/documents/{receipt.pk}/">下载办件回执（PDF）</a>' in text


def test_submitting_an_incomplete_draft_links_each_problem_and_keeps_the_draft(li_client, food_item, applicants):
    _start(li_client, food_item)
    case = _draft_of(applicants["li"])
    response = _submit(li_client, case)
    assert response.status_code == 400
    text = _text(response)
    assert f'<a href="{_page_url(case, 1)}?change=1#field-shop_name">请填写店铺名称</a>' in text
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT
    assert _refusals(applicants["li"])[-1]["refused"] == "cases.invalid_form"


def _republish(item, crew) -> None:
    version = catalog_services.version_new_draft(actor=crew["editor"], item=item)
    catalog_services.version_update(actor=crew["editor"], version=version, promised_limit=10)
    catalog_services.version_submit(actor=crew["editor"], version=version)
    catalog_services.version_approve(actor=crew["catreviewer"], version=version)
    catalog_services.version_publish(actor=crew["catreviewer"], version=version)


def test_a_republished_item_says_the_guide_changed_and_offers_to_start_again(li_client, draft, food_item, crew):
    _provide_materials(li_client, draft)
    _republish(food_item, crew)
    page = li_client.get(_page_url(draft, 1))
    assert page.status_code == 409
    assert "该事项的办事指南已更新，请按新版本重新核对后提交" in _text(page)
    response = _submit(li_client, draft)
    assert response.status_code == 409 and Case.objects.get(pk=draft.pk).status == CaseStatus.DRAFT
    assert _refusals(draft.submitted_by)[-1]["refused"] == "cases.version_changed"
    restarted = li_client.post(reverse("cases-apply:restart", args=[draft.public_id]))
    assert restarted["Location"] == _start_url(food_item) and not Case.objects.filter(pk=draft.pk).exists()


def test_a_retired_item_refuses_the_submission_and_keeps_nothing_half_way(li_client, draft, food_item, crew):
    _provide_materials(li_client, draft)
    catalog_services.item_retire(actor=crew["catreviewer"], item=food_item, reason="职能调整")
    response = _submit(li_client, draft)
    assert response.status_code == 409 and "已取消或暂停办理，这份草稿不能再提交" in _text(response)
    case = Case.objects.get(pk=draft.pk)
    assert case.status == CaseStatus.DRAFT and case.number is None and case.events.count() == 0
    assert _refusals(draft.submitted_by)[-1]["refused"] == "catalog.not_published"


def test_a_person_whose_level_dropped_cannot_submit(li_client, food_item, applicants):
    li = applicants["li"]
    case = complete_draft(li, food_item)
    type(li).objects.filter(pk=li.pk).update(real_name_level=RealNameLevel.L1)
    response = _submit(li_client, case)
    assert response.status_code == 403
    assert "该事项要求实名等级 L2，请先完成实名核验" in _text(response)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT
    assert _refusals(li)[-1]["refused"] == "accounts.realname_level_required"


def test_the_schema_is_the_items(food_item):
    assert food_item.published_version.form_schema == FORM_SCHEMA


WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "opened_on": {"type": "string", "format": "date", "title": "开业日期"},
        "kind": {"type": "string", "enum": ["个体工商户", "企业"], "title": "经营者类型"},
        "chain": {"type": "boolean", "title": "是否连锁经营"},
        "staff": {"type": "integer", "title": "从业人数", "minimum": 1},
        "notes": {"type": "string", "maxLength": 500, "title": "情况说明"},
    },
    "required": ["opened_on", "kind", "chain", "staff"],
}


def test_every_kind_of_field_renders_validates_and_keeps_its_value(li_client, food_item, applicants):
    ItemVersion.objects.filter(pk=food_item.published_version_id).update(
        form_schema=WIDGET_SCHEMA,
        form_ui={"pages": [{"title": "经营情况", "fields": list(WIDGET_SCHEMA["properties"])}]},
    )
    _start(li_client, food_item)
    case = _draft_of(applicants["li"])
    text = _text(li_client.get(_page_url(case, 1)))
    assert '<input type="date" id="field-opened_on" name="opened_on" value=""' in text
    assert '<input type="radio" name="kind" id="field-kind" value="个体工商户">' in text
    assert '<input type="radio" name="chain" id="field-chain-2" value="false">' in text
    assert 'inputmode="numeric" id="field-staff"' in text
    assert '<textarea id="field-notes" name="notes" rows="5" maxlength="500">' in text
    assert "情况说明（选填）" in text

    posted = {"opened_on": "2026-13-01", "kind": "企业", "chain": "true", "staff": "0", "notes": "临街"}
    response = li_client.post(_page_url(case, 1), posted)
    text = _text(response)
    assert response.status_code == 400
    assert '<li><a href="#field-opened_on">请输入正确的日期，例如 2026-03-01</a></li>' in text
    assert '<li><a href="#field-staff">从业人数不能小于 1</a></li>' in text
    assert 'id="field-kind-2" value="企业" checked>' in text and 'id="field-chain" value="true" checked>' in text
    assert ">临街</textarea>" in text

    posted.update(opened_on="2026-03-01", staff="3")
    assert li_client.post(_page_url(case, 1), posted)["Location"] == reverse(
        "cases-apply:materials", args=[case.public_id]
    )
    case.refresh_from_db()
    assert case.form_data == {
        "opened_on": "2026-03-01",
        "kind": "企业",
        "chain": True,
        "staff": 3,
        "notes": "临街",
    }
    check = _text(li_client.get(reverse("cases-apply:check", args=[case.public_id])))
    assert "<dt>是否连锁经营</dt> <dd>是</dd>" in check and "<dt>从业人数</dt> <dd>3</dd>" in check


def test_the_guide_offers_online_application_only_when_the_item_is_offered_online(client, food_item):
    guide = client.get(f"/services/items/{food_item.code}/").content.decode()
    assert f'href="/cases/apply/{food_item.code}/"' in guide and "在线办理" in guide
    # Test shortcut: the published version's handling forms changed in place (normally a new reviewed version).
    food_item.published_version.handling_forms = ["window"]
    food_item.published_version.online_depth = 1
    food_item.published_version.save(update_fields=["handling_forms", "online_depth"])
    cache.clear()  # the guide's fragments are cached per published version
    guide = client.get(f"/services/items/{food_item.code}/").content.decode()
    assert "/cases/apply/" not in guide and "该事项暂不支持网上申请" in guide

"""Pages of the personal centre, my enterprises, switching identity and the window's in-person verification."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongban.accounts import enterprises
from tongban.accounts.models import AgentAuthorisation, User
from tongban.accounts.tests.identity_fixtures import (
    FOOD_LICENCE,
    HAOWEIDAO,
    LI_ID,
    SUN_ID,
    WU_ID,
    a_year_ahead,
    last_audit,
    person,
    registries,
    state,
    verified,
    window_clerk,
)
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registries():
    registries()


@pytest.fixture
def li(client):
    user = person("13805710003")
    client.force_login(user)
    return user


@pytest.fixture
def sun_with_firm():
    sun = verified("13805710007", "孙丽华", SUN_ID)
    return sun, enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO)


def test_every_centre_page_requires_sign_in(client):
    for name in ("accounts:centre", "accounts:realname", "accounts:enterprises", "accounts:counter_realname"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign_in") + "?next=")


def test_centre_shows_masked_phone_and_level_with_a_way_up(client, li):
    page = client.get(reverse("accounts:centre")).content.decode()
    assert "138****0003" in page and "13805710003" not in page
    assert "L1 手机号注册" in page and "未核验" in page
    assert reverse("accounts:realname") in page
    assert reverse("accounts:security") in page


def test_verification_form_raises_to_l2_and_the_centre_masks_the_number(client, li):
    response = client.post(reverse("accounts:realname"), {"name": "李建国", "id_number": LI_ID})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:centre")
    page = client.get(reverse("accounts:centre")).content.decode()
    assert LI_ID[:4] + "*" * 10 + LI_ID[-4:] in page
    assert LI_ID not in page
    assert "L2 在线实名核验" in page
    assert "实名核验通过，您的实名等级为 L2。" in page


def test_verification_form_errors_keep_the_values_and_change_nothing(client, li):
    before = state(li)
    response = client.post(reverse("accounts:realname"), {"name": "李建", "id_number": LI_ID})
    assert response.status_code == 200
    page = response.content.decode()
    assert "请更正以下问题" in page
    assert "姓名与身份证号码不一致，请核对后重新输入" in page
    assert 'value="李建"' in page and f'value="{LI_ID}"' in page
    assert state(li) == before


def test_owner_reveals_their_number_with_a_post_that_is_audited(client):
    sun = verified("13805710007", "孙丽华", SUN_ID)
    client.force_login(sun)
    assert SUN_ID not in client.get(reverse("accounts:centre")).content.decode()
    assert client.get(reverse("accounts:id_number_reveal")).status_code == 405
    page = client.post(reverse("accounts:id_number_reveal")).content.decode()
    assert SUN_ID in page
    assert (last_audit().action, last_audit().actor_id) == ("user.id_number_reveal", sun.pk)


def test_bind_page_refusal_shows_the_error_inline(client):
    sun = verified("13805710007", "孙丽华", SUN_ID)
    client.force_login(sun)
    response = client.post(reverse("accounts:enterprise_bind"), {"uscc": "91330122MA2M5W8X00"})
    assert response.status_code == 400
    assert 'value="91330122MA2M5W8X00"' in response.content.decode()
    response = client.post(reverse("accounts:enterprise_bind"), {"uscc": HAOWEIDAO})
    assert response.status_code == 302
    assert User.objects.get(username=HAOWEIDAO).legal_representative == sun


def test_representative_adds_and_revokes_an_agent_with_confirmation(client, sun_with_firm):
    sun, firm = sun_with_firm
    client.force_login(sun)
    add = reverse("accounts:agent_add", args=[firm.pk])
    bad = client.post(
        add, {"name": "吴晓燕", "phone": "13805710006", "scope": "listed", "item_codes": "", "expires_on": ""}
    )
    assert bad.status_code == 200 and AgentAuthorisation.objects.count() == 0
    response = client.post(
        add,
        {
            "name": "吴晓燕",
            "phone": "13805710006",
            "scope": "listed",
            "item_codes": f"{FOOD_LICENCE}\n",
            "expires_on": a_year_ahead().isoformat(),
        },
    )
    assert response.status_code == 302
    authorisation = AgentAuthorisation.objects.get()
    assert authorisation.item_codes == [FOOD_LICENCE]
    page = client.get(reverse("accounts:enterprises")).content.decode()
    assert "吴晓燕（138****0006）" in page and "13805710006" not in page

    revoke = reverse("accounts:agent_revoke", args=[authorisation.pk])
    assert "确定撤销" in client.get(revoke).content.decode()
    assert AgentAuthorisation.objects.get().revoked_at is None  # the confirmation page changes nothing
    assert client.post(revoke).status_code == 302
    assert AgentAuthorisation.objects.get().revoked_at is not None


def test_others_cannot_reach_an_enterprise_s_agent_pages(client, sun_with_firm):
    sun, firm = sun_with_firm
    authorisation = enterprises.agent_authorise(
        actor=sun,
        enterprise=firm,
        phone="13805710006",
        name="吴晓燕",
        all_items=True,
        item_codes=[],
        expires_on=a_year_ahead(),
    )
    wu = verified("13805710006", "吴晓燕", WU_ID)
    client.force_login(wu)
    rows = AuditEntry.objects.count()
    assert client.get(reverse("accounts:agent_add", args=[firm.pk])).status_code == 404
    assert client.post(reverse("accounts:agent_revoke", args=[authorisation.pk])).status_code == 404
    assert AgentAuthorisation.objects.get().revoked_at is None
    assert AuditEntry.objects.count() == rows


def test_agent_switches_and_the_header_shows_the_identity(client, sun_with_firm):
    sun, firm = sun_with_firm
    enterprises.agent_authorise(
        actor=sun,
        enterprise=firm,
        phone="13805710006",
        name="吴晓燕",
        all_items=False,
        item_codes=[FOOD_LICENCE],
        expires_on=a_year_ahead(),
    )
    wu = verified("13805710006", "吴晓燕", WU_ID)
    client.force_login(wu)
    enterprise_page = client.get(reverse("accounts:enterprises")).content.decode()
    assert FOOD_LICENCE in enterprise_page
    response = client.post(reverse("accounts:identity_switch"), {"enterprise": firm.pk}, follow=True)
    page = response.content.decode()
    assert "当前身份：桐庐县好味道餐饮有限公司（经办人）" in page
    client.post(reverse("accounts:identity_personal"))
    assert "当前身份" not in client.get(reverse("accounts:centre")).content.decode()


def test_switching_to_a_stranger_enterprise_is_refused(client, li, sun_with_firm):
    _sun, firm = sun_with_firm
    response = client.post(reverse("accounts:identity_switch"), {"enterprise": firm.pk})
    assert response.status_code == 403
    assert "当前身份" not in client.get(reverse("accounts:centre")).content.decode()


def test_window_clerk_finds_a_person_and_verifies_in_person(client, li):
    clerk = window_clerk()
    client.force_login(clerk)
    url = reverse("accounts:counter_realname")
    page = client.get(url, {"phone": "13805710003"}).content.decode()
    assert "138****0003" in page
    missing = client.post(url + "?phone=13805710003", {"name": "李建国", "id_number": LI_ID}).content.decode()
    assert "请先查验身份证原件并勾选确认" in missing
    assert User.objects.get(pk=li.pk).real_name_level == 1
    response = client.post(url + "?phone=13805710003", {"name": "李建国", "id_number": LI_ID, "card_checked": "on"})
    assert response.status_code == 302
    li.refresh_from_db()
    assert (li.real_name_level, li.real_name_verified_by) == (3, clerk)


def test_people_are_not_window_clerks(client, li):
    assert client.get(reverse("accounts:counter_realname"), {"phone": "13805710003"}).status_code == 403

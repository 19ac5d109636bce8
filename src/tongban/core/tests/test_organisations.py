import pytest

from tongban.core import services
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, HallWindow, Organisation, OrganisationKind
from tongban.core.tests.identifiers import uscc


@pytest.fixture
def county(db):
    services.region_create(actor=None, code="330100", name="杭州市")
    return services.region_create(actor=None, code="330106", name="西湖区")


def _create(county, **overrides) -> Organisation:
    values = {
        "actor": None,
        "name": "西湖区市场监督管理局",
        "uscc": uscc("11330106704296351"),
        "kind": OrganisationKind.DEPARTMENT,
        "region": county,
        "phone": "0571-87000000",
    }
    return services.organisation_create(**(values | overrides))


def _invalid(call) -> dict:
    before = (Organisation.objects.count(), HallWindow.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code.code == "core.invalid_input"
    assert (Organisation.objects.count(), HallWindow.objects.count(), AuditEntry.objects.count()) == before
    return caught.value.fields


def test_create_normalises_credit_code_and_audits(county):
    code = uscc("11330106704296351")
    organisation = _create(county, uscc=f" {code[:9].lower()} {code[9:]} ", name=" 西湖区市场监督管理局 ")
    assert (organisation.uscc, organisation.name) == (code, "西湖区市场监督管理局")
    entry = AuditEntry.objects.get(action="organisation.create")
    assert entry.object_id == str(organisation.pk)
    assert entry.after["uscc"] == code and entry.after["region_id"] == county.pk and entry.before is None


def test_create_rejects_bad_credit_code(county):
    code = uscc()
    wrong = code[:-1] + ("1" if code[-1] != "1" else "2")
    assert _invalid(lambda: _create(county, uscc=wrong)) == {"uscc": ["统一社会信用代码校验位不正确，请核对后重新输入"]}


def test_create_rejects_duplicate_credit_code_and_blank_name(county):
    _create(county)
    fields = _invalid(lambda: _create(county, name=""))
    assert fields == {"name": ["此字段不能为空。"], "uscc": ["具有 统一社会信用代码 的 机构 已存在。"]}


def test_create_refuses_abolished_region(county):
    services.region_update(actor=None, region=county, active=False)
    assert _invalid(lambda: _create(county)) == {"region": ["所选行政区划已撤销，不能选用"]}


def test_update_audits_changed_fields_only_and_skips_no_op(county):
    organisation = _create(county)
    services.organisation_update(
        actor=None, organisation=organisation, phone="0571-87000000", name="西湖区市场监督管理局"
    )
    assert AuditEntry.objects.filter(action="organisation.update").count() == 0
    services.organisation_update(actor=None, organisation=organisation, phone=" 0571-88888888 ", address="文三路 1 号")
    entry = AuditEntry.objects.get(action="organisation.update")
    assert entry.before == {"phone": "0571-87000000", "address": ""}
    assert entry.after == {"phone": "0571-88888888", "address": "文三路 1 号"}
    organisation.refresh_from_db()
    assert (organisation.phone, organisation.address) == ("0571-88888888", "文三路 1 号")


def test_update_refuses_a_cycle_and_changes_nothing(county):
    parent = _create(county, name="西湖区人民政府", uscc=uscc("11330106000000011"))
    child = _create(county, parent=parent)
    fields = _invalid(lambda: services.organisation_update(actor=None, organisation=parent, parent=child))
    assert fields == {"parent": ["上级机构不能是本机构或其下级机构"]}
    assert _invalid(lambda: services.organisation_update(actor=None, organisation=parent, parent=parent)) == fields
    parent.refresh_from_db()
    assert parent.parent_id is None


def test_update_with_bad_code_changes_nothing(county):
    organisation = _create(county)
    fields = _invalid(lambda: services.organisation_update(actor=None, organisation=organisation, uscc="123"))
    assert fields == {"uscc": ["统一社会信用代码应为 18 位"]}
    assert Organisation.objects.get().uscc == organisation.uscc


def test_update_rejects_fields_it_cannot_change(county):
    organisation = _create(county)
    with pytest.raises(TypeError):
        services.organisation_update(actor=None, organisation=organisation, id=5)


def test_hall_windows(county):
    hall = _create(
        county, name="西湖区政务服务中心", kind=OrganisationKind.SERVICE_HALL, uscc=uscc("11330106000000020")
    )
    window = services.hall_window_create(actor=None, hall=hall, number=" 01 ", name="综合受理", kind="acceptance")
    assert (window.number, window.hall_id) == ("01", hall.pk)
    assert AuditEntry.objects.filter(action="hall_window.create", object_id=str(window.pk)).count() == 1
    duplicate = _invalid(
        lambda: services.hall_window_create(actor=None, hall=hall, number="01", name="出件", kind="result")
    )
    assert duplicate == {"number": ["该大厅已有 01 号窗口"]}
    department = _create(county)
    assert _invalid(
        lambda: services.hall_window_create(actor=None, hall=department, number="01", name="受理", kind="acceptance")
    ) == {"hall": ["只有政务服务大厅、便民服务中心或便民服务站可以设置窗口"]}

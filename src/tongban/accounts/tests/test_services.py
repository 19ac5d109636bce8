import pytest

from tongban.accounts import services
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import StaffAssignment, StaffRole, User, UserKind
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, Organisation, Region
from tongban.demo.identifiers import credit_code, resident_id

ID_NUMBER = resident_id("330122", "19800101", 5, female=False)
PASSWORD = "Qiang-Mima-2026"


def create_person(**overrides):
    fields = {
        "actor": None,
        "kind": UserKind.PERSON,
        "username": "13812345678",
        "display_name": "测试用户",
        "phone": "13812345678",
        "id_number": ID_NUMBER,
        "password": PASSWORD,
    }
    return services.user_create(**(fields | overrides))


@pytest.mark.django_db
def test_user_create_stores_personal_data_encrypted_and_audits_it_masked():
    user = create_person()
    user.refresh_from_db()
    assert (user.phone, user.id_number) == ("13812345678", ID_NUMBER)
    entry = AuditEntry.objects.get(action="user.create")
    assert entry.after["phone"] == "138****5678"
    assert entry.after["id_number"] == f"{ID_NUMBER[:4]}**********{ID_NUMBER[-4:]}"
    assert ID_NUMBER not in str(entry.after)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"phone": "1381234567"}, AccountsError.INVALID_PHONE),
        ({"id_number": ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")}, AccountsError.INVALID_ID_NUMBER),
        ({"password": "12345678"}, AccountsError.WEAK_PASSWORD),
    ],
)
def test_bad_input_is_refused_in_chinese_and_writes_nothing(overrides, code):
    with pytest.raises(DomainError) as caught:
        create_person(**overrides)
    assert caught.value.code is code
    assert User.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_checksum_error_message_is_the_validators_chinese_message():
    with pytest.raises(DomainError) as caught:
        create_person(id_number=ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1"))
    assert caught.value.message == "身份证号码校验位不正确，请核对后重新输入"


@pytest.mark.django_db
def test_phone_already_registered_is_refused():
    create_person()
    with pytest.raises(DomainError) as caught:
        create_person(username="other", id_number="")
    assert caught.value.code is AccountsError.PHONE_TAKEN
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_staff_role_grant_is_idempotent_and_refuses_non_staff():
    region = Region.objects.create(code="330122", name="桐庐县", level=3)
    organisation = Organisation.objects.create(
        name="测试局", uscc=credit_code("11", "330122", "00990001"), kind="department", region=region
    )
    staff = services.user_create(actor=None, kind=UserKind.STAFF, username="clerk", display_name="王科员")
    services.staff_role_grant(actor=None, user=staff, organisation=organisation, role=StaffRole.WINDOW_CLERK)
    services.staff_role_grant(actor=None, user=staff, organisation=organisation, role=StaffRole.WINDOW_CLERK)
    assert StaffAssignment.objects.filter(user=staff).count() == 1
    assert AuditEntry.objects.filter(action="staff_role.grant").count() == 1

    person = create_person()
    with pytest.raises(DomainError) as caught:
        services.staff_role_grant(actor=None, user=person, organisation=organisation, role=StaffRole.REVIEWER)
    assert caught.value.code is AccountsError.NOT_STAFF
    assert not StaffAssignment.objects.filter(user=person).exists()

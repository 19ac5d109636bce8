"""The staff second factor: TOTP enrolment, the ±1 step window, replay refusal, recovery codes, reset."""

import pyotp
import pytest

from tongban.accounts import second_factor, services
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RecoveryCode, TotpDevice, User, UserKind
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry

PASSWORD = "Qiang-Mima-2026"
NOW = 1_780_000_000  # a fixed instant; step = NOW // 30


@pytest.fixture
def clock(monkeypatch):
    """Stand at a chosen time: clock.at(seconds)."""

    class Clock:
        now = NOW

        def at(self, seconds):
            self.now = seconds

    value = Clock()
    monkeypatch.setattr(second_factor, "_clock", lambda: value.now)
    return value


@pytest.fixture
def clerk(db):
    return services.user_create(
        actor=None, kind=UserKind.STAFF, username="clerk", display_name="王科员", password=PASSWORD
    )


def code_at(secret: str, seconds: float) -> str:
    return pyotp.TOTP(secret).at(seconds)


def enrolled(user: User, clock) -> tuple[str, list[str]]:
    enrolment = second_factor.totp_enrol_start(actor=user)
    codes = second_factor.totp_enrol_confirm(actor=user, code=code_at(enrolment.secret, clock.now))
    return enrolment.secret, codes


def test_enrol_start_gives_an_otpauth_uri_and_inline_svg(clerk, clock):
    enrolment = second_factor.totp_enrol_start(actor=clerk)
    device = TotpDevice.objects.get(user=clerk)
    assert device.secret == enrolment.secret
    assert device.confirmed_at is None
    assert len(enrolment.secret) == 32
    assert (
        enrolment.uri == f"otpauth://totp/%E9%80%9A%E5%8A%9E:clerk?secret={enrolment.secret}&issuer=%E9%80%9A%E5%8A%9E"
    )
    assert enrolment.qr_svg.startswith("<svg ")
    assert "<title>动态口令绑定二维码</title>" in enrolment.qr_svg
    assert "http" not in enrolment.qr_svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "".join(enrolment.secret_groups) == enrolment.secret
    assert [len(group) for group in enrolment.secret_groups] == [4] * 8
    assert AuditEntry.objects.filter(action="totp.enrol_start", actor=clerk).count() == 1
    # The stored secret is encrypted at rest.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE user_id = %s", [clerk.pk])
        assert enrolment.secret not in cursor.fetchone()[0]


def test_enrol_start_again_replaces_an_unconfirmed_secret(clerk, clock):
    first = second_factor.totp_enrol_start(actor=clerk)
    second = second_factor.totp_enrol_start(actor=clerk)
    assert first.secret != second.secret
    assert TotpDevice.objects.filter(user=clerk).count() == 1
    assert second_factor.totp_pending_enrolment(clerk).secret == second.secret


def test_confirm_with_a_wrong_code_changes_nothing(clerk, clock):
    enrolment = second_factor.totp_enrol_start(actor=clerk)
    wrong = code_at(enrolment.secret, NOW + 300)
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as raised:
        second_factor.totp_enrol_confirm(actor=clerk, code=wrong)
    assert raised.value.code is AccountsError.TOTP_CODE_INVALID
    device = TotpDevice.objects.get(user=clerk)
    assert (device.confirmed_at, device.last_used_step) == (None, 0)
    assert RecoveryCode.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_confirm_gives_ten_single_use_recovery_codes_stored_hashed(clerk, clock):
    _secret, codes = enrolled(clerk, clock)
    device = TotpDevice.objects.get(user=clerk)
    assert device.confirmed_at is not None
    assert device.last_used_step == NOW // 30
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    hashes = set(RecoveryCode.objects.filter(user=clerk).values_list("code_hash", flat=True))
    assert len(hashes) == 10
    assert not any(code in hashes or code.replace("-", "") in hashes for code in codes)
    assert AuditEntry.objects.get(action="totp.enrol_confirm").after == {"confirmed": True, "recovery_codes": 10}
    with pytest.raises(DomainError) as raised:
        second_factor.totp_enrol_start(actor=clerk)
    assert raised.value.code is AccountsError.TOTP_ALREADY_ENROLLED


@pytest.mark.parametrize(("offset", "accepted"), [(-60, False), (-30, True), (0, True), (30, True), (60, False)])
def test_verify_accepts_one_step_either_side(clerk, clock, offset, accepted):
    secret, _codes = enrolled(clerk, clock)
    clock.at(NOW + 300)  # later sign-in
    code = code_at(secret, NOW + 300 + offset)
    if accepted:
        second_factor.totp_verify(user=clerk, code=code)
        assert TotpDevice.objects.get(user=clerk).last_used_step == (NOW + 300 + offset) // 30
    else:
        with pytest.raises(DomainError) as raised:
            second_factor.totp_verify(user=clerk, code=code)
        assert raised.value.code is AccountsError.TOTP_CODE_INVALID
        assert TotpDevice.objects.get(user=clerk).last_used_step == NOW // 30


def test_verify_refuses_a_replayed_code_and_an_older_step(clerk, clock):
    secret, _codes = enrolled(clerk, clock)
    clock.at(NOW + 300)
    second_factor.totp_verify(user=clerk, code=code_at(secret, NOW + 300))
    audits = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        second_factor.totp_verify(user=clerk, code=code_at(secret, NOW + 300))
    with pytest.raises(DomainError):
        second_factor.totp_verify(user=clerk, code=code_at(secret, NOW + 270))  # previous step, inside the window
    assert TotpDevice.objects.get(user=clerk).last_used_step == (NOW + 300) // 30
    assert AuditEntry.objects.count() == audits
    second_factor.totp_verify(user=clerk, code=code_at(secret, NOW + 330))  # the next step still works


def test_the_enrolment_code_cannot_be_replayed_to_sign_in(clerk, clock):
    secret, _codes = enrolled(clerk, clock)
    with pytest.raises(DomainError):
        second_factor.totp_verify(user=clerk, code=code_at(secret, NOW))


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_verify_refuses_malformed_codes(clerk, clock, code):
    enrolled(clerk, clock)
    with pytest.raises(DomainError) as raised:
        second_factor.totp_verify(user=clerk, code=code)
    assert raised.value.code is AccountsError.TOTP_CODE_INVALID


def test_verify_accepts_full_width_digits_and_spaces(clerk, clock):
    secret, _codes = enrolled(clerk, clock)
    clock.at(NOW + 300)
    code = code_at(secret, NOW + 300)
    typed = " ".join([code[:3], code[3:]]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    second_factor.totp_verify(user=clerk, code=typed)


def test_verify_without_a_confirmed_device_is_refused(clerk, clock):
    enrolment = second_factor.totp_enrol_start(actor=clerk)
    with pytest.raises(DomainError) as raised:
        second_factor.totp_verify(user=clerk, code=code_at(enrolment.secret, NOW))
    assert raised.value.code is AccountsError.TOTP_NOT_ENROLLED


def test_recovery_code_works_once_in_any_case_or_spacing(clerk, clock):
    _secret, codes = enrolled(clerk, clock)
    assert second_factor.recovery_code_use(user=clerk, code=codes[3].upper().replace("-", " ")) == 9
    with pytest.raises(DomainError) as raised:
        second_factor.recovery_code_use(user=clerk, code=codes[3])
    assert raised.value.code is AccountsError.RECOVERY_CODE_INVALID
    assert second_factor.recovery_codes_remaining(clerk) == 9
    assert AuditEntry.objects.filter(action="recovery_code.use").count() == 1


def test_recovery_codes_belong_to_their_account(clerk, clock):
    _secret, codes = enrolled(clerk, clock)
    other = services.user_create(actor=None, kind=UserKind.STAFF, username="other", display_name="x", password=PASSWORD)
    enrolled(other, clock)
    with pytest.raises(DomainError):
        second_factor.recovery_code_use(user=other, code=codes[0])
    assert second_factor.recovery_codes_remaining(clerk) == 10


def test_regenerating_recovery_codes_retires_the_old_ones(clerk, clock):
    _secret, old = enrolled(clerk, clock)
    second_factor.recovery_code_use(user=clerk, code=old[0])
    new = second_factor.recovery_codes_regenerate(actor=clerk)
    assert set(new).isdisjoint(old)
    assert second_factor.recovery_codes_remaining(clerk) == 10
    with pytest.raises(DomainError):
        second_factor.recovery_code_use(user=clerk, code=old[1])
    second_factor.recovery_code_use(user=clerk, code=new[1])
    entry = AuditEntry.objects.get(action="recovery_code.regenerate")
    assert (entry.before, entry.after) == ({"remaining": 9}, {"remaining": 10})


def test_regenerate_without_a_device_is_refused(clerk):
    with pytest.raises(DomainError) as raised:
        second_factor.recovery_codes_regenerate(actor=clerk)
    assert raised.value.code is AccountsError.TOTP_NOT_ENROLLED


def test_system_admin_resets_a_lost_authenticator(clerk, clock):
    enrolled(clerk, clock)
    admin = services.user_create(
        actor=None, kind=UserKind.STAFF, username="admin", display_name="管理员", password=PASSWORD, is_superuser=True
    )
    second_factor.totp_reset(actor=admin, user=clerk)
    assert not TotpDevice.objects.filter(user=clerk).exists()
    assert not RecoveryCode.objects.filter(user=clerk).exists()
    entry = AuditEntry.objects.get(action="totp.reset")
    assert (entry.actor, entry.object_id) == (admin, str(clerk.pk))
    assert (entry.before, entry.after) == (
        {"enrolled": True, "recovery_codes": 10},
        {"enrolled": False, "recovery_codes": 0},
    )
    second_factor.totp_enrol_start(actor=clerk)  # and the clerk can enrol again


def test_a_clerk_cannot_reset_anothers_authenticator(clerk, clock):
    enrolled(clerk, clock)
    other = services.user_create(actor=None, kind=UserKind.STAFF, username="other", display_name="x", password=PASSWORD)
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as raised:
        second_factor.totp_reset(actor=other, user=clerk)
    assert raised.value.code is AccountsError.ROLE_REQUIRED
    assert TotpDevice.objects.filter(user=clerk, confirmed_at__isnull=False).exists()
    assert second_factor.recovery_codes_remaining(clerk) == 10
    assert AuditEntry.objects.count() == before


def test_second_factor_is_required_for_staff_and_superusers_only(db):
    def make(kind, name, superuser=False):
        return services.user_create(
            actor=None, kind=kind, username=name, display_name=name, password=PASSWORD, is_superuser=superuser
        )

    assert second_factor.second_factor_required(make(UserKind.STAFF, "s")) is True
    assert second_factor.second_factor_required(make(UserKind.PERSON, "p", superuser=True)) is True
    assert second_factor.second_factor_required(make(UserKind.PERSON, "13800000001")) is False
    assert second_factor.second_factor_required(make(UserKind.ENTERPRISE, "e")) is False

"""Real-name verification: L2 online, L3 at the window, the level requirement, the owner's own number."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongban.accounts import realname
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RealNameLevel, User
from tongban.accounts.registries import PersonCheckOutcome, RegistryUnavailable
from tongban.accounts.tests.identity_fixtures import (
    DEAD_ID,
    LI_ID,
    SUN_ID,
    UNKNOWN_ID,
    last_audit,
    person,
    registries,
    state,
    verified,
    window_clerk,
)
from tongban.core.errors import CoreError, DomainError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db
MISMATCH = "姓名与身份证号码不一致，请核对后重新输入"
UNUSABLE = "该身份信息无法用于核验，请携带身份证到政务服务窗口办理"


@pytest.fixture(autouse=True)
def _registries():
    registries()


@pytest.fixture
def li():
    return person("13805710003")


def masked(id_number: str) -> str:
    return id_number[:4] + "*" * 10 + id_number[-4:]


def refused(call, code: AccountsError, *users) -> DomainError:
    """Run a call that must be refused with `code`; assert it wrote one audit row and changed nothing else."""
    before, rows = state(*users), AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code is code
    assert state(*users) == before
    assert AuditEntry.objects.count() == rows + 1
    return caught.value


# ---------------------------------------------------------------------------------------------------------------
# L2 online


def test_online_verification_raises_to_l2_and_records_the_verified_identity(li):
    result = realname.realname_verify_online(actor=li, user=li, name=" 李建国 ", id_number=LI_ID.lower())
    assert result is li
    fresh = User.objects.get(pk=li.pk)
    assert (fresh.real_name, fresh.display_name, fresh.id_number) == ("李建国", "李建国", LI_ID)
    assert fresh.real_name_level == RealNameLevel.L2
    assert fresh.real_name_verified_at is not None and fresh.real_name_verified_by is None
    assert User.objects.filter(id_number_index=fresh.id_number_index).get() == fresh
    entry = last_audit()
    assert (entry.action, entry.actor_id, entry.object_id) == ("realname.verify_online", li.pk, str(li.pk))
    assert entry.before == {"real_name": "", "id_number": "", "real_name_level": 1, "verified_by": None}
    assert entry.after == {"real_name": "李建国", "id_number": masked(LI_ID), "real_name_level": 2, "verified_by": None}


def test_checksum_failure_gives_the_validator_message_and_writes_only_the_refusal(li):
    bad = LI_ID[:-1] + ("0" if LI_ID[-1] != "0" else "1")
    error = refused(
        lambda: realname.realname_verify_online(actor=li, user=li, name="李建国", id_number=bad),
        AccountsError.INVALID_ID_NUMBER,
        li,
    )
    assert error.message == "身份证号码校验位不正确，请核对后重新输入"
    assert error.fields == {"id_number": ["身份证号码校验位不正确，请核对后重新输入"]}
    assert last_audit().action == "realname.verify_invalid"


def test_missing_name_is_refused(li):
    error = refused(
        lambda: realname.realname_verify_online(actor=li, user=li, name="  ", id_number=LI_ID),
        AccountsError.REALNAME_NAME_REQUIRED,
        li,
    )
    assert error.fields == {"name": ["请输入姓名"]}


@pytest.mark.parametrize(
    ("name", "id_number", "reason"),
    [("李建", LI_ID, "name_mismatch"), ("李建国", UNKNOWN_ID, "not_found")],
)
def test_mismatch_and_unknown_number_read_the_same(li, name, id_number, reason):
    error = refused(
        lambda: realname.realname_verify_online(actor=li, user=li, name=name, id_number=id_number),
        AccountsError.REALNAME_MISMATCH,
        li,
    )
    assert error.message == MISMATCH
    entry = last_audit()
    assert (entry.action, entry.after) == (
        "realname.verify_refused",
        {"refused": "accounts.realname_mismatch", "reason": reason},
    )


def test_deceased_and_held_elsewhere_read_the_same_and_reveal_nothing(li):
    holder = verified("13805710007", "孙丽华", SUN_ID)
    dead = refused(
        lambda: realname.realname_verify_online(actor=li, user=li, name="王老汉", id_number=DEAD_ID),
        AccountsError.REALNAME_UNUSABLE,
        li,
    )
    held = refused(
        lambda: realname.realname_verify_online(actor=li, user=li, name="孙丽华", id_number=SUN_ID),
        AccountsError.REALNAME_UNUSABLE,
        li,
        holder,
    )
    assert dead.message == held.message == UNUSABLE
    assert last_audit().after == {"refused": "accounts.realname_unusable", "reason": "held_elsewhere"}


def test_an_unverified_l1_claim_does_not_block_the_real_owner():
    squatter = person("13805710099")
    squatter.id_number = SUN_ID
    squatter.save()
    owner = verified("13805710007", "孙丽华", SUN_ID)
    assert owner.real_name_level == RealNameLevel.L2


def test_five_registry_failures_a_day_then_refused_even_when_right(li, monkeypatch):
    for _ in range(realname.ONLINE_FAILURES_PER_DAY):
        with pytest.raises(DomainError):
            realname.realname_verify_online(actor=li, user=li, name="李某", id_number=LI_ID)
    error = refused(
        lambda: realname.realname_verify_online(actor=li, user=li, name="李建国", id_number=LI_ID),
        AccountsError.REALNAME_TOO_MANY_ATTEMPTS,
        li,
    )
    assert error.code.status == 429
    assert last_audit().action == "realname.verify_limited"

    later = timezone.now() + dt.timedelta(hours=24, minutes=1)
    monkeypatch.setattr(realname.timezone, "now", lambda: later)
    realname.realname_verify_online(actor=li, user=li, name="李建国", id_number=LI_ID)
    assert User.objects.get(pk=li.pk).real_name_level == RealNameLevel.L2


def test_checksum_failures_do_not_count_towards_the_limit(li):
    bad = LI_ID[:-1] + ("0" if LI_ID[-1] != "0" else "1")
    for _ in range(realname.ONLINE_FAILURES_PER_DAY + 1):
        with pytest.raises(DomainError):
            realname.realname_verify_online(actor=li, user=li, name="李建国", id_number=bad)
    realname.realname_verify_online(actor=li, user=li, name="李建国", id_number=LI_ID)
    assert User.objects.get(pk=li.pk).real_name_level == RealNameLevel.L2


def test_a_verified_account_cannot_switch_to_another_identity_online():
    sun = verified("13805710007", "孙丽华", SUN_ID)
    refused(
        lambda: realname.realname_verify_online(actor=sun, user=sun, name="李建国", id_number=LI_ID),
        AccountsError.REALNAME_ALREADY_VERIFIED,
        sun,
    )
    # The same identity again is fine (and keeps the level).
    realname.realname_verify_online(actor=sun, user=sun, name="孙丽华", id_number=SUN_ID)


def test_nobody_verifies_for_someone_else_online(li):
    other = person("13805710004")
    before, rows = state(li), AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        realname.realname_verify_online(actor=other, user=li, name="李建国", id_number=LI_ID)
    assert caught.value.code is AccountsError.REALNAME_PERSON_ONLY
    assert (state(li), AuditEntry.objects.count()) == (before, rows)


def test_online_verification_never_lowers_l3(li):
    User.objects.filter(pk=li.pk).update(real_name_level=RealNameLevel.L3)
    li.refresh_from_db()
    realname.realname_verify_online(actor=li, user=li, name="李建国", id_number=LI_ID)
    assert User.objects.get(pk=li.pk).real_name_level == RealNameLevel.L3


def test_registry_down_writes_nothing(li, settings):
    settings.TONGBAN_POPULATION_REGISTRY = f"{__name__}.DownRegistry"
    before, rows = state(li), AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        realname.realname_verify_online(actor=li, user=li, name="李建国", id_number=LI_ID)
    assert caught.value.code is AccountsError.REGISTRY_UNAVAILABLE
    assert (state(li), AuditEntry.objects.count()) == (before, rows)


class DownRegistry:
    def verify(self, name, id_number):
        raise RegistryUnavailable("timeout")


def test_require_real_name_level():
    user = person("13805710010")
    realname.require_real_name_level(user, RealNameLevel.L1)
    with pytest.raises(DomainError) as caught:
        realname.require_real_name_level(user, RealNameLevel.L2)
    assert caught.value.code is AccountsError.REALNAME_LEVEL_REQUIRED
    assert caught.value.message == "该事项要求实名等级 L2，请先完成实名核验"


# ---------------------------------------------------------------------------------------------------------------
# L3 in person


def test_window_clerk_verifies_in_person_to_l3(li):
    clerk = window_clerk()
    assert realname.access_person_by_phone(clerk, "138 0571 0003") == li
    realname.realname_verify_in_person(actor=clerk, user=li, name="李建国", id_number=LI_ID)
    fresh = User.objects.get(pk=li.pk)
    assert (fresh.real_name_level, fresh.real_name_verified_by, fresh.real_name) == (3, clerk, "李建国")
    entry = last_audit()
    assert (entry.action, entry.actor_id, entry.after["verified_by"]) == (
        "realname.verify_in_person",
        clerk.pk,
        clerk.pk,
    )


def test_only_window_clerks_verify_in_person_or_look_people_up(li):
    other = person("13805710004")
    before, rows = state(li), AuditEntry.objects.count()
    for call in (
        lambda: realname.realname_verify_in_person(actor=other, user=li, name="李建国", id_number=LI_ID),
        lambda: realname.access_person_by_phone(other, "13805710003"),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.code is AccountsError.NOT_WINDOW_CLERK
    assert (state(li), AuditEntry.objects.count()) == (before, rows)


def test_clerk_sees_the_registry_reason(li):
    clerk = window_clerk()
    error = refused(
        lambda: realname.realname_verify_in_person(actor=clerk, user=li, name="王老汉", id_number=DEAD_ID),
        AccountsError.REALNAME_MISMATCH,
        li,
    )
    assert error.message == "人口基础库核验未通过（登记为已死亡），请核对证件"


def test_clerk_reclaims_an_identity_held_by_another_account(li):
    clerk = window_clerk()
    thief = verified("13805710099", "李建国", LI_ID)
    error = refused(
        lambda: realname.realname_verify_in_person(actor=clerk, user=li, name="李建国", id_number=LI_ID),
        AccountsError.REALNAME_HELD_ELSEWHERE,
        li,
        thief,
    )
    assert "138****0099" in error.message
    realname.realname_verify_in_person(actor=clerk, user=li, name="李建国", id_number=LI_ID, reclaim=True)
    thief.refresh_from_db()
    assert (thief.real_name_level, thief.id_number, thief.real_name) == (RealNameLevel.L1, "", "")
    assert User.objects.get(pk=li.pk).real_name_level == RealNameLevel.L3
    actions = list(AuditEntry.objects.order_by("-id").values_list("action", flat=True)[:2])
    assert actions == ["realname.verify_in_person", "realname.reclaim"]


def test_registry_outcomes_for_staff_cover_every_refusal():
    assert set(realname._OUTCOME_FOR_STAFF) == set(PersonCheckOutcome) - {PersonCheckOutcome.MATCH}


# ---------------------------------------------------------------------------------------------------------------
# The owner's own number


def test_owner_reveals_own_number_audited_and_nobody_else_can():
    sun = verified("13805710007", "孙丽华", SUN_ID)
    assert realname.id_number_reveal(actor=sun, user=sun) == SUN_ID
    entry = last_audit()
    assert (entry.action, entry.actor_id, entry.object_id) == ("user.id_number_reveal", sun.pk, str(sun.pk))
    other = person("13805710004")
    rows = AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        realname.id_number_reveal(actor=other, user=sun)
    assert caught.value.code is CoreError.PERMISSION_DENIED
    assert AuditEntry.objects.count() == rows

"""Real-name verification (实名核验): L2 online against the population registry, L3 in person by a window clerk.

Levels (RealNameLevel): L1 the account is only a phone number; L2 the person typed a name and resident ID number that
the population registry (人口基础库) confirms; L3 a window clerk also held the ID card. A service item may require a
minimum level (`require_real_name_level`).

What a person is told, and why (docs/decisions/0005-registries-and-identity.md):
- an ID number that fails its checksum: the validator's exact message (it says nothing about anyone);
- a name that does not match, or a number the registry does not know: the same "姓名与身份证号码不一致", so the form
  cannot be used to learn whether a number exists;
- every other refusal (the registry marks the person deceased, or another account already verified this identity):
  the same "该身份信息无法用于核验，请携带身份证到政务服务窗口办理". It reveals neither that another account holds the
  identity nor why; at the window a clerk sees the reason and can move the identity to the person holding the card.
Refusals that consulted the registry count towards a limit of ONLINE_FAILURES_PER_DAY per account in any 24 hours,
so the form cannot be used to guess ID numbers. Every refusal is audited; nothing else is written.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RealNameLevel, StaffRole, User, UserKind
from tongban.accounts.refusals import refuse
from tongban.accounts.registries import PersonCheckOutcome, RegistryUnavailable, population_registry
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry
from tongban.core.pii import blind_index, mask_id_number, mask_phone
from tongban.core.validators import normalize_id_number, validate_id_number

ONLINE_FAILURES_PER_DAY = 5
FAILURE_WINDOW = dt.timedelta(hours=24)
REFUSED_ONLINE = "realname.verify_refused"  # the refusals that count towards the limit (the registry was asked)
MAX_NAME_LENGTH = 50


def require_real_name_level(user, level: int) -> None:
    """Raise REALNAME_LEVEL_REQUIRED ("该事项要求实名等级 Ln，请先完成实名核验") below `level`."""
    if getattr(user, "real_name_level", 0) >= level:
        return
    raise DomainError(AccountsError.REALNAME_LEVEL_REQUIRED, level_required_message(level))


def level_required_message(level: int) -> str:
    return _("该事项要求实名等级 L%(n)d，请先完成实名核验") % {"n": level}


def realname_view(user: User) -> dict:
    """What the audit log keeps of a verification (number masked)."""
    return {
        "real_name": user.real_name,
        "id_number": mask_id_number(user.id_number) if user.id_number else "",
        "real_name_level": user.real_name_level,
        "verified_by": user.real_name_verified_by_id,
    }


def _checked_input(name: str, id_number: str) -> tuple[str, str, dict[str, list[str]]]:
    name = " ".join(str(name or "").split())
    errors: dict[str, list[str]] = {}
    if not name or len(name) > MAX_NAME_LENGTH:
        errors["name"] = [str(AccountsError.REALNAME_NAME_REQUIRED.message)]
    try:
        validate_id_number(id_number or "")
    except ValidationError as exc:
        errors["id_number"] = [str(message) for message in exc.messages]
    return name, normalize_id_number(id_number or ""), errors


def _recent_online_failures(user: User) -> int:
    since = timezone.now() - FAILURE_WINDOW
    return AuditEntry.objects.filter(
        object_type=User._meta.label_lower, object_id=str(user.pk), action=REFUSED_ONLINE, created_at__gte=since
    ).count()


def _holder_elsewhere(user: User, id_number: str) -> User | None:
    """Another account that verified (L2+) this ID number. Unverified claims (L1) do not block the real owner."""
    return (
        User.objects.filter(
            kind=UserKind.PERSON,
            id_number_index=blind_index("id_number", id_number),
            real_name_level__gte=RealNameLevel.L2,
        )
        .exclude(pk=user.pk)
        .first()
    )


def _lock_identity(id_number: str) -> None:
    """Serialise verifications of one ID number (PostgreSQL); SQLite's IMMEDIATE transactions already serialise."""
    if connection.vendor == "postgresql":
        key = int(blind_index("id_number", id_number)[:15], 16)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _ask_registry(name: str, id_number: str) -> PersonCheckOutcome:
    try:
        return population_registry().verify(name, id_number).outcome
    except RegistryUnavailable:
        raise DomainError(AccountsError.REGISTRY_UNAVAILABLE) from None


# ---------------------------------------------------------------------------------------------------------------
# L2 online


def realname_verify_online(*, actor: User, user: User, name: str, id_number: str) -> User:
    """Verify the person's name and ID number against the population registry and raise them to (at least) L2."""
    _require_self_person(actor, user)
    name, id_number, errors = _checked_input(name, id_number)
    if errors:
        code = AccountsError.INVALID_ID_NUMBER if "id_number" in errors else AccountsError.REALNAME_NAME_REQUIRED
        message = errors.get("id_number", errors.get("name"))[0]
        refuse(DomainError(code, message, fields=errors), actor=actor, obj=user, action="realname.verify_invalid")
    if _recent_online_failures(user) >= ONLINE_FAILURES_PER_DAY:
        error = DomainError(AccountsError.REALNAME_TOO_MANY_ATTEMPTS)
        refuse(error, actor=actor, obj=user, action="realname.verify_limited")
    if user.real_name_level >= RealNameLevel.L2 and user.id_number and user.id_number != id_number:
        refuse(
            DomainError(AccountsError.REALNAME_ALREADY_VERIFIED),
            actor=actor,
            obj=user,
            action="realname.verify_invalid",
            reason="already_verified_other",
        )
    outcome = _ask_registry(name, id_number)
    if outcome in (PersonCheckOutcome.NAME_MISMATCH, PersonCheckOutcome.NOT_FOUND):
        _refuse_online(AccountsError.REALNAME_MISMATCH, actor, user, outcome.value)
    if outcome is PersonCheckOutcome.DECEASED:
        _refuse_online(AccountsError.REALNAME_UNUSABLE, actor, user, outcome.value)
    if not _record_verified(actor=actor, user=user, name=name, id_number=id_number, clerk=None):
        _refuse_online(AccountsError.REALNAME_UNUSABLE, actor, user, "held_elsewhere")
    return user


def _refuse_online(code: AccountsError, actor: User, user: User, reason: str):
    fields = {"id_number": [str(code.message)]}
    refuse(DomainError(code, fields=fields), actor=actor, obj=user, action=REFUSED_ONLINE, reason=reason)


@transaction.atomic
def _record_verified(*, actor: User, user: User, name: str, id_number: str, clerk: User | None) -> bool:
    """Write the verified identity (L2 online, L3 with a clerk); False, writing nothing, if another account holds it."""
    _lock_identity(id_number)
    if _holder_elsewhere(user, id_number) is not None:
        return False
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = realname_view(locked)
    locked.real_name, locked.id_number, locked.display_name = name, id_number, name
    level = RealNameLevel.L3 if clerk else RealNameLevel.L2
    locked.real_name_level = max(locked.real_name_level, level)
    locked.real_name_verified_at = timezone.now()
    if clerk:
        locked.real_name_verified_by = clerk
    locked.save(update_fields=[*VERIFIED_FIELDS, "real_name_verified_by"])
    action = "realname.verify_in_person" if clerk else "realname.verify_online"
    audit.record(actor=actor, action=action, obj=locked, before=before, after=realname_view(locked))
    _refresh(user, locked)
    return True


VERIFIED_FIELDS = [
    "real_name",
    "id_number",
    "id_number_index",
    "display_name",
    "real_name_level",
    "real_name_verified_at",
]


# ---------------------------------------------------------------------------------------------------------------
# L3 in person


def is_window_clerk(user) -> bool:
    """Who may verify in person: staff holding the window clerk role (窗口受理) in any organisation, for now."""
    from tongban.accounts.access import staff_has_role

    return staff_has_role(user, StaffRole.WINDOW_CLERK)


def require_window_clerk(user) -> None:
    if not is_window_clerk(user):
        raise DomainError(AccountsError.NOT_WINDOW_CLERK)


def access_person_by_phone(actor, phone: str) -> User | None:
    """A window clerk finds the person in front of them by exact mobile number (blind index); None if no account."""
    require_window_clerk(actor)
    index = blind_index("phone", phone)
    if not index:
        return None
    return User.objects.filter(kind=UserKind.PERSON, phone_index=index, is_active=True).first()


def realname_verify_in_person(*, actor: User, user: User, name: str, id_number: str, reclaim: bool = False) -> User:
    """A window clerk who checked the ID card raises the person to L3 (registry still consulted).

    If another account verified this identity online, the clerk is told so (staff may know) and may `reclaim` it:
    the other account drops to L1 and loses the identity, in the same transaction, because the card in hand outranks
    an online claim. Refusals are audited and write nothing else.
    """
    require_window_clerk(actor)
    if user.kind != UserKind.PERSON:
        raise DomainError(AccountsError.REALNAME_PERSON_ONLY)
    name, id_number, errors = _checked_input(name, id_number)
    if errors:
        code = AccountsError.INVALID_ID_NUMBER if "id_number" in errors else AccountsError.REALNAME_NAME_REQUIRED
        message = errors.get("id_number", errors.get("name"))[0]
        refuse(DomainError(code, message, fields=errors), actor=actor, obj=user, action="realname.verify_invalid")
    outcome = _ask_registry(name, id_number)
    if outcome is not PersonCheckOutcome.MATCH:
        message = _("人口基础库核验未通过（%(reason)s），请核对证件") % {"reason": _OUTCOME_FOR_STAFF[outcome]}
        error = DomainError(AccountsError.REALNAME_MISMATCH, message, fields={"id_number": [message]})
        refuse(error, actor=actor, obj=user, action="realname.verify_refused_in_person", reason=outcome.value)
    holder = _holder_elsewhere(user, id_number)
    if holder is not None and not reclaim:
        message = _("该身份已由另一账号（手机号 %(phone)s）实名核验。核对证件无误后，可勾选“收回该身份”再提交") % {
            "phone": mask_phone(holder.phone) if holder.phone else "—"
        }
        error = DomainError(AccountsError.REALNAME_HELD_ELSEWHERE, message, fields={"reclaim": [message]})
        refuse(error, actor=actor, obj=user, action="realname.verify_refused_in_person", reason="held_elsewhere")
    return _verify_in_person(actor=actor, user=user, name=name, id_number=id_number)


_OUTCOME_FOR_STAFF = {
    PersonCheckOutcome.NAME_MISMATCH: gettext_lazy("姓名不符"),
    PersonCheckOutcome.NOT_FOUND: gettext_lazy("无此身份号码"),
    PersonCheckOutcome.DECEASED: gettext_lazy("登记为已死亡"),
}


@transaction.atomic
def _verify_in_person(*, actor: User, user: User, name: str, id_number: str) -> User:
    _lock_identity(id_number)
    holder = _holder_elsewhere(user, id_number)
    if holder is not None:
        _strip_identity(actor=actor, holder=holder)
    _record_verified(actor=actor, user=user, name=name, id_number=id_number, clerk=actor)
    return user


def _strip_identity(*, actor: User, holder: User) -> None:
    holder = User.objects.select_for_update().get(pk=holder.pk)
    before = realname_view(holder)
    holder.real_name, holder.id_number = "", ""
    holder.real_name_level, holder.real_name_verified_at, holder.real_name_verified_by = RealNameLevel.L1, None, None
    holder.save(update_fields=[*VERIFIED_FIELDS, "real_name_verified_by"])
    audit.record(actor=actor, action="realname.reclaim", obj=holder, before=before, after=realname_view(holder))


# ---------------------------------------------------------------------------------------------------------------
# The owner sees their own number


@transaction.atomic
def id_number_reveal(*, actor: User, user: User) -> str:
    """The full ID number, for its owner only; every reveal is audited (the page shows it masked otherwise)."""
    if actor is None or actor.pk != user.pk or not user.id_number:
        from tongban.core.errors import CoreError

        raise DomainError(CoreError.PERMISSION_DENIED)
    audit.record(actor=actor, action="user.id_number_reveal", obj=user)
    return user.id_number


def _require_self_person(actor: User, user: User) -> None:
    if actor is None or actor.pk != user.pk:
        raise DomainError(AccountsError.REALNAME_PERSON_ONLY)
    if user.kind != UserKind.PERSON:
        raise DomainError(AccountsError.REALNAME_PERSON_ONLY)


def _refresh(target: User, source: User) -> None:
    for field in (
        "real_name",
        "id_number",
        "id_number_index",
        "display_name",
        "real_name_level",
        "real_name_verified_at",
        "real_name_verified_by_id",
    ):
        setattr(target, field, getattr(source, field))

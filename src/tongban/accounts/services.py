"""Writes on accounts: creating users and granting staff roles. Identity features (SMS sign-in, real-name checks,
enterprise agents, second factor) arrive with the identity issue and build on these."""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RealNameLevel, StaffAssignment, User, UserKind
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.pii import blind_index, mask_id_number, mask_phone
from tongban.core.validators import normalize_id_number, normalize_uscc, validate_id_number, validate_uscc

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def audit_view(user: User) -> dict:
    """What the audit log keeps of a user: personal data masked (the log must not become a copy of the registry)."""
    return {
        "username": user.username,
        "kind": user.kind,
        "display_name": user.display_name,
        "phone": mask_phone(user.phone) if user.phone else "",
        "id_number": mask_id_number(user.id_number) if user.kind == UserKind.PERSON and user.id_number else "",
        "real_name_level": user.real_name_level,
        "is_active": user.is_active,
    }


def _checked_identifier(kind: str, id_number: str) -> str:
    if not id_number:
        return ""
    try:
        if kind == UserKind.ENTERPRISE:
            validate_uscc(id_number)
            return normalize_uscc(id_number)
        validate_id_number(id_number)
        return normalize_id_number(id_number)
    except ValidationError as exc:
        raise DomainError(
            AccountsError.INVALID_ID_NUMBER, exc.messages[0], fields={"id_number": exc.messages}
        ) from None


def _checked_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(
            AccountsError.WEAK_PASSWORD, "；".join(exc.messages), fields={"password": exc.messages}
        ) from None


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    kind: str,
    username: str,
    display_name: str,
    password: str | None = None,
    phone: str = "",
    id_number: str = "",
    real_name_level: int = RealNameLevel.L1,
    is_superuser: bool = False,
) -> User:
    """Create an account of any kind; validates the phone, ID number (or credit code) and password strength."""
    if phone and not MOBILE_RE.match(phone):
        raise DomainError(AccountsError.INVALID_PHONE, fields={"phone": [str(AccountsError.INVALID_PHONE.message)]})
    id_number = _checked_identifier(kind, id_number)
    if User.objects.filter(username=username).exists():
        raise DomainError(AccountsError.USERNAME_TAKEN)
    if phone and User.objects.filter(phone_index=blind_index("phone", phone)).exists():
        raise DomainError(AccountsError.PHONE_TAKEN)
    user = User(
        kind=kind,
        username=username,
        display_name=display_name,
        phone=phone,
        id_number=id_number,
        real_name_level=real_name_level,
        is_staff=is_superuser,
        is_superuser=is_superuser,
    )
    if password:
        _checked_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(actor=actor, action="user.create", obj=user, after=audit_view(user))
    return user


@transaction.atomic
def staff_role_grant(
    *, actor: User | None, user: User, organisation, role: str, covers_region_subtree: bool = False
) -> StaffAssignment:
    """Give a member of staff a role in an organisation (idempotent: granting a held role changes nothing)."""
    if user.kind != UserKind.STAFF:
        raise DomainError(AccountsError.NOT_STAFF)
    assignment, created = StaffAssignment.objects.get_or_create(
        user=user, organisation=organisation, role=role, defaults={"covers_region_subtree": covers_region_subtree}
    )
    if created:
        audit.record(
            actor=actor,
            action="staff_role.grant",
            obj=assignment,
            after=role_view(assignment),
        )
    return assignment


def role_view(assignment: StaffAssignment) -> dict:
    """What the audit log keeps of a role grant."""
    return {
        "user": assignment.user.username,
        "organisation": assignment.organisation_id,
        "role": assignment.role,
        "subtree": assignment.covers_region_subtree,
    }

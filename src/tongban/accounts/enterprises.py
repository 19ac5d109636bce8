"""Enterprises (法人): binding an enterprise account to its legal representative, agents (经办人), acting identities.

- `enterprise_bind`: a verified person binds the enterprise whose legal representative the legal-entity registry
  (法人基础库) says they are. The enterprise account's username is its unified social credit code.
- `agent_authorise` / `agent_revoke`: the representative authorises an agent by mobile number and name, for all
  items or a listed set of item codes, until a date; and revokes at any time.
- `acting_identities(user)`: the enterprises a person may act for right now (as representative, or as an agent under
  a live authorisation whose number and name are the person's own verified ones).
- `agent_may_handle(user, enterprise, item_code)`: the scope rule the catalogue and cases apply.

An authorisation is bound to a phone number, not to an account, so the representative learns nothing about who is
registered. Numbers are recycled by carriers, so the named agent must also be who signs in: the person acting under
it must have verified (L2+) the same name online or at a window.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.accounts.errors import AccountsError
from tongban.accounts.models import AgentAuthorisation, RealNameLevel, User, UserKind
from tongban.accounts.realname import level_required_message
from tongban.accounts.refusals import refuse
from tongban.accounts.registries import RegistryUnavailable, legal_entity_registry, normalise_name
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.pii import blind_index, mask_phone
from tongban.core.validators import normalize_uscc, validate_uscc

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
BASIC_CODE_RE = re.compile(r"^\d{12}$")
# Implementation code (实施编码): implementing organisation's credit code (18) + exercise level (1) + basic code (12).
IMPLEMENTATION_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}\d{13}$")
MAX_AUTHORISATION_YEARS = 3


class ActingRole:
    REPRESENTATIVE = "representative"
    AGENT = "agent"

    LABELS = {REPRESENTATIVE: _("法定代表人"), AGENT: _("经办人")}


@dataclass(frozen=True)
class ActingIdentity:
    """An enterprise a person may act for, in which role, and (for an agent) under which authorisation."""

    enterprise: User
    role: str
    authorisation: AgentAuthorisation | None = None

    @property
    def role_label(self) -> str:
        return str(ActingRole.LABELS[self.role])


# ---------------------------------------------------------------------------------------------------------------
# Binding


def enterprise_view(enterprise: User) -> dict:
    """What the audit log keeps of an enterprise binding."""
    return {
        "uscc": enterprise.username,
        "name": enterprise.display_name,
        "legal_representative": enterprise.legal_representative_id,
    }


def _verified_person(user) -> bool:
    return user.kind == UserKind.PERSON and user.real_name_level >= RealNameLevel.L2 and bool(user.real_name)


def _is_registered_representative(record, actor: User) -> bool:
    if normalise_name(record.representative_name) != normalise_name(actor.real_name):
        return False
    return blind_index("id_number", record.representative_id_number) == actor.id_number_index


def enterprise_bind(*, actor: User, uscc: str) -> User:
    """Bind (or re-bind) the enterprise account of `uscc` to `actor`, its registered legal representative.

    Refusals (bad code, not in the registry, not active, not the representative) are audited and write nothing else.
    """
    if not _verified_person(actor):
        raise DomainError(AccountsError.REALNAME_LEVEL_REQUIRED, level_required_message(RealNameLevel.L2))
    try:
        validate_uscc(uscc)
    except ValidationError as exc:
        error = DomainError(AccountsError.INVALID_USCC, exc.messages[0], fields={"uscc": exc.messages})
        refuse(error, actor=actor, action="enterprise.bind_refused", reason="invalid_uscc")
    uscc = normalize_uscc(uscc)
    try:
        record = legal_entity_registry().lookup(uscc)
    except RegistryUnavailable:
        raise DomainError(AccountsError.REGISTRY_UNAVAILABLE) from None
    if record is None:
        _refuse_bind(AccountsError.ENTITY_NOT_FOUND, actor, uscc, "not_in_registry")
    if not record.active:
        _refuse_bind(AccountsError.ENTITY_NOT_ACTIVE, actor, uscc, f"status_{record.status}")
    if not _is_registered_representative(record, actor):
        _refuse_bind(AccountsError.NOT_REPRESENTATIVE, actor, uscc, "not_representative")
    return _bind(actor=actor, uscc=uscc, name=record.name)


def _refuse_bind(code: AccountsError, actor: User, uscc: str, reason: str):
    refuse(
        DomainError(code, fields={"uscc": [str(code.message)]}),
        actor=actor,
        action="enterprise.bind_refused",
        reason=reason,
        uscc=uscc,
    )


@transaction.atomic
def _bind(*, actor: User, uscc: str, name: str) -> User:
    enterprise = User.objects.select_for_update().filter(username=uscc).first()
    if enterprise is not None and enterprise.kind != UserKind.ENTERPRISE:
        raise DomainError(AccountsError.USERNAME_TAKEN)
    if enterprise is None:
        enterprise = User(kind=UserKind.ENTERPRISE, username=uscc, id_number=uscc)
        enterprise.set_unusable_password()
        before = None
    elif enterprise.legal_representative_id == actor.pk and enterprise.display_name == name:
        return enterprise
    else:
        before = enterprise_view(enterprise)
    enterprise.display_name = name
    enterprise.legal_representative = actor
    enterprise.save()
    audit.record(
        actor=actor, action="enterprise.bind", obj=enterprise, before=before, after=enterprise_view(enterprise)
    )
    return enterprise


# ---------------------------------------------------------------------------------------------------------------
# Agents


def authorisation_view(authorisation: AgentAuthorisation) -> dict:
    """What the audit log keeps of an authorisation (phone masked)."""
    return {
        "enterprise": authorisation.enterprise_id,
        "agent_phone": mask_phone(authorisation.agent_phone),
        "agent_name": authorisation.agent_name,
        "all_items": authorisation.all_items,
        "item_codes": authorisation.item_codes,
        "expires_on": authorisation.expires_on,
        "revoked_at": authorisation.revoked_at,
    }


def authorisation_is_live(authorisation: AgentAuthorisation, today: dt.date | None = None) -> bool:
    """Not revoked and not past its last day (有效期至 is inclusive)."""
    today = today or timezone.localdate()
    return authorisation.revoked_at is None and authorisation.expires_on >= today


def is_representative(user, enterprise: User) -> bool:
    """The user is the enterprise's bound legal representative and still a verified person."""
    if enterprise.kind != UserKind.ENTERPRISE or not enterprise.is_active:
        return False
    if enterprise.legal_representative_id != getattr(user, "pk", None):
        return False
    return _verified_person(user)


def require_representative(user, enterprise: User) -> None:
    if not is_representative(user, enterprise):
        raise DomainError(AccountsError.NOT_ENTERPRISE_REPRESENTATIVE)


def latest_allowed_expiry(today: dt.date) -> dt.date:
    """Today plus MAX_AUTHORISATION_YEARS (29 February falls back to 28 February)."""
    try:
        return today.replace(year=today.year + MAX_AUTHORISATION_YEARS)
    except ValueError:
        return today.replace(year=today.year + MAX_AUTHORISATION_YEARS, day=28)


def valid_item_code(code: str) -> bool:
    """A 12-digit basic code (基本编码) or a 31-character implementation code (实施编码) with a valid credit code."""
    if BASIC_CODE_RE.match(code):
        return True
    if not IMPLEMENTATION_CODE_RE.match(code):
        return False
    try:
        validate_uscc(code[:18])
    except ValidationError:
        return False
    return True


def _agent_field_errors(*, phone, name, all_items, item_codes, expires_on, today) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not MOBILE_RE.match(phone):
        errors["phone"] = [str(AccountsError.INVALID_PHONE.message)]
    if not name or len(name) > 50:
        errors["name"] = [str(_("请输入经办人姓名（与其实名核验的姓名一致），不超过 50 个字"))]
    if not all_items and not item_codes:
        errors["item_codes"] = [str(_("请选择“全部事项”，或填写至少一个事项编码"))]
    bad = [code for code in item_codes if not valid_item_code(code)]
    if bad:
        errors["item_codes"] = [
            str(_("事项编码应为 12 位基本编码或 31 位实施编码，以下编码有误：%(codes)s") % {"codes": "、".join(bad)})
        ]
    if expires_on is None or expires_on <= today:
        errors["expires_on"] = [str(_("有效期应晚于今天"))]
    elif expires_on > latest_allowed_expiry(today):
        errors["expires_on"] = [str(_("有效期最长 %(years)d 年") % {"years": MAX_AUTHORISATION_YEARS})]
    return errors


def _clean_codes(item_codes: list[str]) -> list[str]:
    cleaned: list[str] = []
    for code in item_codes:
        code = "".join(str(code).split()).upper()
        if code and code not in cleaned:
            cleaned.append(code)
    return cleaned


def live_authorisations(enterprise: User) -> QuerySet[AgentAuthorisation]:
    return AgentAuthorisation.objects.filter(
        enterprise=enterprise, revoked_at__isnull=True, expires_on__gte=timezone.localdate()
    )


@transaction.atomic
def agent_authorise(
    *,
    actor: User,
    enterprise: User,
    phone: str,
    name: str,
    all_items: bool,
    item_codes: list[str],
    expires_on: dt.date | None,
) -> AgentAuthorisation:
    """The representative authorises an agent (经办人) by mobile number and name, all or listed items, until a day."""
    require_representative(actor, enterprise)
    User.objects.select_for_update().filter(pk=enterprise.pk).first()  # one authorisation change at a time per firm
    today = timezone.localdate()
    phone, name = "".join(str(phone).split()), str(name).strip()
    item_codes = [] if all_items else _clean_codes(item_codes)
    errors = _agent_field_errors(
        phone=phone, name=name, all_items=all_items, item_codes=item_codes, expires_on=expires_on, today=today
    )
    if errors:
        raise DomainError(AccountsError.AGENT_INVALID, fields=errors)
    if live_authorisations(enterprise).filter(agent_phone_index=blind_index("phone", phone)).exists():
        raise DomainError(
            AccountsError.AGENT_ALREADY_AUTHORISED,
            fields={"phone": [str(AccountsError.AGENT_ALREADY_AUTHORISED.message)]},
        )
    authorisation = AgentAuthorisation.objects.create(
        enterprise=enterprise,
        agent_phone=phone,
        agent_name=name,
        all_items=all_items,
        item_codes=item_codes,
        expires_on=expires_on,
        granted_by=actor,
        granted_at=timezone.now(),
    )
    audit.record(actor=actor, action="agent.authorise", obj=authorisation, after=authorisation_view(authorisation))
    return authorisation


@transaction.atomic
def agent_revoke(*, actor: User, authorisation: AgentAuthorisation) -> AgentAuthorisation:
    """The representative ends an authorisation now; the agent's enterprise identity drops on their next request."""
    authorisation = AgentAuthorisation.objects.select_for_update().select_related("enterprise").get(pk=authorisation.pk)
    require_representative(actor, authorisation.enterprise)
    if authorisation.revoked_at is not None:
        raise DomainError(AccountsError.AGENT_NOT_LIVE)
    before = authorisation_view(authorisation)
    authorisation.revoked_at, authorisation.revoked_by = timezone.now(), actor
    authorisation.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        actor=actor, action="agent.revoke", obj=authorisation, before=before, after=authorisation_view(authorisation)
    )
    return authorisation


def access_authorisation_for_representative(user, authorisation_id: int) -> AgentAuthorisation:
    """Load an authorisation the user manages as representative, or NOT_FOUND (others' authorisations are not shown)."""
    from tongban.core.errors import CoreError

    authorisation = AgentAuthorisation.objects.select_related("enterprise").filter(pk=authorisation_id).first()
    if authorisation is None or not is_representative(user, authorisation.enterprise):
        raise DomainError(CoreError.NOT_FOUND)
    return authorisation


def access_represented_enterprise(user, enterprise_id: int) -> User:
    """Load an enterprise the user represents, or NOT_FOUND."""
    from tongban.core.errors import CoreError

    enterprise = User.objects.filter(pk=enterprise_id, kind=UserKind.ENTERPRISE).first()
    if enterprise is None or not is_representative(user, enterprise):
        raise DomainError(CoreError.NOT_FOUND)
    return enterprise


# ---------------------------------------------------------------------------------------------------------------
# Acting identities and scope


def _agent_authorisations_of(user) -> QuerySet[AgentAuthorisation]:
    if not _verified_person(user) or not user.phone_index:
        return AgentAuthorisation.objects.none()
    return AgentAuthorisation.objects.filter(
        agent_phone_index=user.phone_index,
        revoked_at__isnull=True,
        expires_on__gte=timezone.localdate(),
        enterprise__kind=UserKind.ENTERPRISE,
        enterprise__is_active=True,
    ).select_related("enterprise")


def _agent_is_user(authorisation: AgentAuthorisation, user) -> bool:
    return normalise_name(authorisation.agent_name) == normalise_name(user.real_name)


def acting_identities(user) -> list[ActingIdentity]:
    """Every enterprise the person may act for now: as legal representative, then as agent (two queries)."""
    if not getattr(user, "is_authenticated", False) or not _verified_person(user):
        return []
    represented = User.objects.filter(kind=UserKind.ENTERPRISE, is_active=True, legal_representative=user)
    identities = [ActingIdentity(enterprise, ActingRole.REPRESENTATIVE) for enterprise in represented.order_by("pk")]
    seen = {identity.enterprise.pk for identity in identities}
    for authorisation in _agent_authorisations_of(user).order_by("enterprise_id", "pk"):
        if authorisation.enterprise_id in seen or not _agent_is_user(authorisation, user):
            continue
        seen.add(authorisation.enterprise_id)
        identities.append(ActingIdentity(authorisation.enterprise, ActingRole.AGENT, authorisation))
    return identities


def acting_identity_for(user, enterprise_id: int) -> ActingIdentity | None:
    """The person's identity for one enterprise if it is live now (representative first), else None."""
    if not getattr(user, "is_authenticated", False) or not _verified_person(user):
        return None
    enterprise = User.objects.filter(pk=enterprise_id, kind=UserKind.ENTERPRISE, is_active=True).first()
    if enterprise is None:
        return None
    if enterprise.legal_representative_id == user.pk:
        return ActingIdentity(enterprise, ActingRole.REPRESENTATIVE)
    for authorisation in _agent_authorisations_of(user).filter(enterprise=enterprise).order_by("pk"):
        if _agent_is_user(authorisation, user):
            return ActingIdentity(enterprise, ActingRole.AGENT, authorisation)
    return None


def authorisation_covers(authorisation: AgentAuthorisation, item_code: str) -> bool:
    """All items, the code itself, or (for an implementation code) its basic code (the last 12 digits)."""
    if authorisation.all_items:
        return True
    code = "".join(str(item_code).split()).upper()
    if code in authorisation.item_codes:
        return True
    return len(code) == 31 and code[-12:] in authorisation.item_codes


def agent_may_handle(user, enterprise: User, item_code: str) -> bool:
    """Whether the person may handle `item_code` for the enterprise: its representative always, an agent in scope."""
    identity = acting_identity_for(user, enterprise.pk)
    if identity is None:
        return False
    if identity.role == ActingRole.REPRESENTATIVE:
        return True
    return any(
        authorisation_covers(authorisation, item_code)
        for authorisation in _agent_authorisations_of(user).filter(enterprise=enterprise)
        if _agent_is_user(authorisation, user)
    )


def require_agent_scope(user, enterprise: User, item_code: str) -> None:
    """Raise AGENT_OUT_OF_SCOPE unless agent_may_handle."""
    if not agent_may_handle(user, enterprise, item_code):
        raise DomainError(AccountsError.AGENT_OUT_OF_SCOPE)

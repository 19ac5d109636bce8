"""Enterprises: binding to the legal representative, agent authorisations, acting identities and agent scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongban.accounts import enterprises
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import AgentAuthorisation, User, UserKind
from tongban.accounts.tests.identity_fixtures import (
    CANCELLED,
    FOOD_LICENCE,
    HAOWEIDAO,
    LI_ID,
    OTHER_ITEM,
    SUN_ID,
    UNREGISTERED,
    WU_ID,
    a_year_ahead,
    last_audit,
    person,
    registries,
    state,
    verified,
)
from tongban.core.errors import CoreError, DomainError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registries():
    registries()


@pytest.fixture
def sun():
    return verified("13805710007", "孙丽华", SUN_ID)


@pytest.fixture
def wu():
    return verified("13805710006", "吴晓燕", WU_ID)


@pytest.fixture
def firm(sun):
    return enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO)


def implementation_code(basic: str) -> str:
    from tongban.demo.identifiers import credit_code

    return credit_code("11", "330122", "00250001") + "1" + basic


def authorise(actor, firm, **overrides):
    arguments = {
        "phone": "13805710006",
        "name": "吴晓燕",
        "all_items": False,
        "item_codes": [FOOD_LICENCE],
        "expires_on": a_year_ahead(),
    } | overrides
    return enterprises.agent_authorise(actor=actor, enterprise=firm, **arguments)


def unchanged(call, code, *users):
    """A refused call: the expected code, no new authorisation, no user change, no audit row."""
    before = (state(*users), AgentAuthorisation.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code is code
    assert (state(*users), AgentAuthorisation.objects.count(), AuditEntry.objects.count()) == before
    return caught.value


# ---------------------------------------------------------------------------------------------------------------
# Binding


def test_representative_binds_and_the_enterprise_account_is_created(sun):
    firm = enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO.lower())
    assert (firm.kind, firm.username, firm.display_name, firm.legal_representative) == (
        UserKind.ENTERPRISE,
        HAOWEIDAO,
        "桐庐县好味道餐饮有限公司",
        sun,
    )
    assert not firm.has_usable_password()
    entry = last_audit()
    assert (entry.action, entry.actor_id, entry.before) == ("enterprise.bind", sun.pk, None)
    assert entry.after == {"uscc": HAOWEIDAO, "name": "桐庐县好味道餐饮有限公司", "legal_representative": sun.pk}
    rows = AuditEntry.objects.count()
    assert enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO) == firm  # again: nothing to do
    assert AuditEntry.objects.count() == rows


def test_an_existing_account_is_rebound_to_the_current_representative(sun):
    from tongban.accounts import services

    existing = services.user_create(
        actor=None, kind=UserKind.ENTERPRISE, username=HAOWEIDAO, display_name="好味道", id_number=HAOWEIDAO
    )
    old = person("13805710050")
    User.objects.filter(pk=existing.pk).update(legal_representative=old)
    firm = enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO)
    assert firm.pk == existing.pk
    assert (firm.legal_representative, firm.display_name) == (sun, "桐庐县好味道餐饮有限公司")
    assert last_audit().before["legal_representative"] == old.pk


@pytest.mark.parametrize(
    ("uscc", "code", "reason"),
    [
        (HAOWEIDAO[:-1] + ("0" if HAOWEIDAO[-1] != "0" else "1"), AccountsError.INVALID_USCC, "invalid_uscc"),
        (UNREGISTERED, AccountsError.ENTITY_NOT_FOUND, "not_in_registry"),
        (CANCELLED, AccountsError.ENTITY_NOT_ACTIVE, "status_cancelled"),
    ],
)
def test_bind_refusals_are_audited_and_write_nothing_else(sun, uscc, code, reason):
    before = (state(sun), AuditEntry.objects.count())
    with pytest.raises(DomainError) as caught:
        enterprises.enterprise_bind(actor=sun, uscc=uscc)
    assert caught.value.code is code
    assert "uscc" in caught.value.fields
    assert (state(sun), AuditEntry.objects.count()) == (before[0], before[1] + 1)
    assert last_audit().action == "enterprise.bind_refused"
    assert last_audit().after["reason"] == reason


def test_only_the_registered_representative_binds(wu):
    li = verified("13805710003", "李建国", LI_ID)
    for someone in (wu, li):
        before = (state(someone), AuditEntry.objects.count())
        with pytest.raises(DomainError) as caught:
            enterprises.enterprise_bind(actor=someone, uscc=HAOWEIDAO)
        assert caught.value.code is AccountsError.NOT_REPRESENTATIVE
        assert (state(someone), AuditEntry.objects.count()) == (before[0], before[1] + 1)


def test_an_unverified_person_cannot_bind():
    l1 = person("13805710007", "孙丽华")
    error = unchanged(
        lambda: enterprises.enterprise_bind(actor=l1, uscc=HAOWEIDAO), AccountsError.REALNAME_LEVEL_REQUIRED, l1
    )
    assert error.message == "该事项要求实名等级 L2，请先完成实名核验"


# ---------------------------------------------------------------------------------------------------------------
# Authorisations


def test_representative_authorises_an_agent_for_listed_items(sun, firm):
    authorisation = authorise(
        sun, firm, item_codes=[f" {FOOD_LICENCE} ", FOOD_LICENCE, implementation_code(OTHER_ITEM)]
    )
    assert authorisation.item_codes == [FOOD_LICENCE, implementation_code(OTHER_ITEM)]
    assert (authorisation.agent_phone, authorisation.granted_by, authorisation.all_items) == ("13805710006", sun, False)
    entry = last_audit()
    assert (entry.action, entry.after["agent_phone"], entry.after["agent_name"]) == (
        "agent.authorise",
        "138****0006",
        "吴晓燕",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "23805710006"}, "phone"),
        ({"name": ""}, "name"),
        ({"item_codes": []}, "item_codes"),
        ({"item_codes": ["12345"]}, "item_codes"),
        ({"item_codes": ["91330122MA2H3K7L0X" + "1" + FOOD_LICENCE]}, "item_codes"),  # bad credit code checksum
        ({"expires_on": timezone.localdate()}, "expires_on"),
        ({"expires_on": None}, "expires_on"),
        ({"expires_on": timezone.localdate() + dt.timedelta(days=3 * 366 + 1)}, "expires_on"),
    ],
)
def test_bad_authorisations_are_refused_with_the_field(sun, firm, overrides, field):
    error = unchanged(lambda: authorise(sun, firm, **overrides), AccountsError.AGENT_INVALID, sun, firm)
    assert field in error.fields


def test_three_years_is_the_longest_authorisation(sun, firm):
    authorise(sun, firm, expires_on=enterprises.latest_allowed_expiry(timezone.localdate()))
    assert enterprises.latest_allowed_expiry(dt.date(2028, 2, 29)) == dt.date(2031, 2, 28)


def test_a_second_live_authorisation_for_the_same_phone_is_refused(sun, firm):
    authorise(sun, firm)
    unchanged(lambda: authorise(sun, firm, all_items=True), AccountsError.AGENT_ALREADY_AUTHORISED, firm)


def test_only_the_representative_authorises_or_revokes(sun, wu, firm):
    authorisation = authorise(sun, firm)
    unchanged(lambda: authorise(wu, firm, phone="13805710003"), AccountsError.NOT_ENTERPRISE_REPRESENTATIVE, firm)
    unchanged(
        lambda: enterprises.agent_revoke(actor=wu, authorisation=authorisation),
        AccountsError.NOT_ENTERPRISE_REPRESENTATIVE,
    )
    assert AgentAuthorisation.objects.get(pk=authorisation.pk).revoked_at is None
    with pytest.raises(DomainError) as caught:
        enterprises.access_authorisation_for_representative(wu, authorisation.pk)
    assert caught.value.code is CoreError.NOT_FOUND


def test_revoke_ends_the_authorisation_once(sun, wu, firm):
    authorisation = authorise(sun, firm)
    enterprises.agent_revoke(actor=sun, authorisation=authorisation)
    authorisation.refresh_from_db()
    assert authorisation.revoked_by == sun and authorisation.revoked_at is not None
    assert last_audit().action == "agent.revoke"
    unchanged(lambda: enterprises.agent_revoke(actor=sun, authorisation=authorisation), AccountsError.AGENT_NOT_LIVE)
    assert enterprises.acting_identities(wu) == []


# ---------------------------------------------------------------------------------------------------------------
# Acting identities and scope


def test_acting_identities_of_representative_and_agent(sun, wu, firm):
    authorisation = authorise(sun, firm)
    assert [(i.enterprise, i.role) for i in enterprises.acting_identities(sun)] == [(firm, "representative")]
    identities = enterprises.acting_identities(wu)
    assert [(i.enterprise, i.role, i.authorisation) for i in identities] == [(firm, "agent", authorisation)]
    assert identities[0].role_label == "经办人"


def test_agent_needs_l2_the_same_name_and_a_live_authorisation(sun, firm):
    authorise(sun, firm)
    unverified = person("13805710006", "吴晓燕")
    assert enterprises.acting_identities(unverified) == []
    User.objects.filter(pk=unverified.pk).update(real_name_level=2, real_name="吴晓红")  # recycled number, new owner
    unverified.refresh_from_db()
    assert enterprises.acting_identities(unverified) == []


def test_expired_authorisation_gives_no_identity(sun, wu, firm):
    authorisation = authorise(sun, firm)
    AgentAuthorisation.objects.filter(pk=authorisation.pk).update(expires_on=timezone.localdate())
    assert len(enterprises.acting_identities(wu)) == 1  # the last day still counts
    AgentAuthorisation.objects.filter(pk=authorisation.pk).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert enterprises.acting_identities(wu) == []
    assert enterprises.acting_identity_for(wu, firm.pk) is None


def test_agent_scope_within_and_outside(sun, wu, firm):
    authorise(sun, firm, item_codes=[FOOD_LICENCE])
    assert enterprises.agent_may_handle(wu, firm, FOOD_LICENCE)
    assert enterprises.agent_may_handle(wu, firm, implementation_code(FOOD_LICENCE))
    assert not enterprises.agent_may_handle(wu, firm, OTHER_ITEM)
    with pytest.raises(DomainError) as caught:
        enterprises.require_agent_scope(wu, firm, OTHER_ITEM)
    assert caught.value.code is AccountsError.AGENT_OUT_OF_SCOPE
    assert enterprises.agent_may_handle(sun, firm, OTHER_ITEM)  # the representative may do everything
    assert not enterprises.agent_may_handle(person("13805710004"), firm, FOOD_LICENCE)


def test_all_items_authorisation_covers_any_item(sun, wu, firm):
    authorise(sun, firm, all_items=True, item_codes=[FOOD_LICENCE])
    authorisation = AgentAuthorisation.objects.get()
    assert authorisation.item_codes == []
    assert enterprises.agent_may_handle(wu, firm, OTHER_ITEM)


def test_demo_seed_binds_haoweidao_to_sun_lihua_and_authorises_xiao_wu():
    from django.core.management import call_command

    from tongban.demo import data

    call_command("demo_seed")
    firm = User.objects.get(username=data.ENTERPRISES[0].uscc)
    sun = User.objects.get(username="13805710007")
    wu = User.objects.get(username="13805710006")
    assert (firm.legal_representative, sun.real_name, sun.real_name_level) == (sun, "孙丽华", 2)
    identities = enterprises.acting_identities(wu)
    assert [(i.enterprise, i.role) for i in identities] == [(firm, "agent")]
    authorisation = identities[0].authorisation
    assert authorisation.item_codes == data.AGENTS[0].item_codes
    assert authorisation.expires_on == timezone.localdate() + dt.timedelta(days=365)
    assert enterprises.agent_may_handle(wu, firm, data.FOOD_BUSINESS_LICENCE)
    assert not enterprises.agent_may_handle(wu, firm, "000105001000")
    zhang = User.objects.get(username="13805710001")
    assert (zhang.real_name_level, zhang.real_name) == (1, "")

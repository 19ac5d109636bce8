"""Acting for an enterprise: the switch, the per-request re-check, and the enterprise recorded on audit rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from tongban.accounts import acting, enterprises
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import AgentAuthorisation
from tongban.accounts.tests.identity_fixtures import (
    FOOD_LICENCE,
    HAOWEIDAO,
    SUN_ID,
    WU_ID,
    a_year_ahead,
    last_audit,
    person,
    registries,
    verified,
)
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.middleware import current_acting_for
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    """孙丽华 bound 好味道 and authorised 吴晓燕 for the food licence."""
    registries()
    sun = verified("13805710007", "孙丽华", SUN_ID)
    wu = verified("13805710006", "吴晓燕", WU_ID)
    firm = enterprises.enterprise_bind(actor=sun, uscc=HAOWEIDAO)
    authorisation = enterprises.agent_authorise(
        actor=sun,
        enterprise=firm,
        phone="13805710006",
        name="吴晓燕",
        all_items=False,
        item_codes=[FOOD_LICENCE],
        expires_on=a_year_ahead(),
    )
    return sun, wu, firm, authorisation


def request_for(user, session=None):
    request = RequestFactory().post("/")
    request.user = user
    request.session = session or SessionStore()
    request._messages = FallbackStorage(request)
    return request


def some_action(request):
    """What a later service does: writes an audit row naming only the actor."""
    with transaction.atomic():
        audit.record(actor=request.user, action="test.action", object_type="test", object_id="1")
    return request


def through_middleware(request):
    seen = {}

    def view(req):
        seen["acting_for"] = req.acting_for
        seen["context"] = current_acting_for()
        some_action(req)
        return "response"

    assert acting.ActingForMiddleware(view)(request) == "response"
    assert current_acting_for() is None  # reset after the request
    return seen


def test_agent_switches_and_later_actions_record_the_enterprise(setting):
    _sun, wu, firm, _authorisation = setting
    request = request_for(wu)
    identity = acting.acting_switch(request, firm.pk)
    assert (identity.enterprise, identity.role) == (firm, "agent")
    switch = last_audit()
    assert (switch.action, switch.actor_id, switch.acting_for_id) == ("identity.switch", wu.pk, firm.pk)
    assert request.session[acting.SESSION_KEY] == firm.pk

    seen = through_middleware(request_for(wu, request.session))
    assert seen == {"acting_for": firm, "context": firm}
    entry = last_audit()
    assert (entry.action, entry.actor_id, entry.acting_for_id, entry.acting_for_label) == (
        "test.action",
        wu.pk,
        firm.pk,
        "桐庐县好味道餐饮有限公司",
    )
    assert audit.verify_chain()[1] is None


def test_personal_identity_records_no_enterprise(setting):
    _sun, wu, _firm, _authorisation = setting
    assert through_middleware(request_for(wu)) == {"acting_for": None, "context": None}
    assert last_audit().acting_for_id is None


def test_switch_back_to_personal_identity(setting):
    _sun, wu, firm, _authorisation = setting
    request = request_for(wu)
    acting.acting_switch(request, firm.pk)
    acting.acting_switch_back(request)
    assert acting.SESSION_KEY not in request.session
    assert request.acting_for is None
    entry = last_audit()
    assert (entry.action, entry.actor_id, entry.acting_for_id) == ("identity.switch_back", wu.pk, None)
    assert through_middleware(request_for(wu, request.session))["acting_for"] is None


def test_switch_without_a_live_identity_is_refused(setting):
    _sun, _wu, firm, _authorisation = setting
    stranger = person("13805710004")
    request = request_for(stranger)
    rows = AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        acting.acting_switch(request, firm.pk)
    assert caught.value.code is AccountsError.ACTING_NOT_ALLOWED
    assert acting.SESSION_KEY not in request.session
    assert AuditEntry.objects.count() == rows


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_dead_authorisation_drops_the_identity_with_a_message(setting, how):
    sun, wu, firm, authorisation = setting
    request = request_for(wu)
    acting.acting_switch(request, firm.pk)
    if how == "revoked":
        enterprises.agent_revoke(actor=sun, authorisation=authorisation)
    else:
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        AgentAuthorisation.objects.filter(pk=authorisation.pk).update(expires_on=yesterday)

    later = request_for(wu, request.session)
    seen = through_middleware(later)
    assert seen == {"acting_for": None, "context": None}
    assert acting.SESSION_KEY not in later.session
    assert last_audit().acting_for_id is None
    assert [str(m) for m in get_messages(later)] == [
        "您以“桐庐县好味道餐饮有限公司”身份办事的授权已失效（已过期、被撤销或不再是法定代表人），已切换回个人身份。"
    ]


def test_representative_switches_as_representative(setting):
    sun, _wu, firm, _authorisation = setting
    request = request_for(sun)
    assert acting.acting_switch(request, firm.pk).role == "representative"
    assert through_middleware(request_for(sun, request.session))["acting_for"] == firm

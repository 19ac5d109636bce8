"""Permission matrix for cases (issue 5): every case page and action, for everyone who must not reach it, is denied
(404 for a case one may not see, 403 for a page one's role does not open, a sign-in for a visitor), and a denied call
changes nothing: the case, its timeline, materials, documents and supplement requests, the audit log, messages and
outbox are the same before and after.

Actors: another applicant, an agent of the enterprise whose authorisation does not cover the item, a clerk of another
organisation, a window clerk of a hall outside the item's scope, a window clerk of another hall in scope (for the
counter pages and pre-review), and an anonymous visitor. Driven over HTTP with real sessions (staff sessions have
passed the second factor), modelled on accounts/tests/test_permission_matrix.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from tongban.accounts import enterprises
from tongban.accounts.acting import SESSION_KEY as ACTING_SESSION_KEY
from tongban.accounts.models import User, UserKind
from tongban.accounts.registries import population_record_put
from tongban.accounts.tests.identity_fixtures import OTHER_ITEM, a_year_ahead, verified
from tongban.cases import counter, services
from tongban.cases.models import Case, CaseDocument, CaseEvent, CaseMaterial, SupplementRequest
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import GOOD_ANSWERS, submitted_case
from tongban.core.models import AuditEntry, HallWindow, OutboxMessage
from tongban.demo.identifiers import resident_id
from tongban.notifications.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tongban.cases.tests.urls_workbench_for_tests")]

ACTORS = [
    "another_applicant",
    "agent_out_of_scope",
    "other_org_clerk",
    "far_window_clerk",
    "other_hall_clerk",
    "anonymous",
]
PEOPLE = {"another_applicant", "agent_out_of_scope"}


@dataclass
class World:
    """The cases the matrix acts on and the people trying."""

    firm_case: Case  # 好味道's case, filed online by its agent 吴晓燕, waiting for pre-review at the bureau
    counter_case: Case  # 李建国's walk-in case, registered at the town centre and submitted
    counter_draft: Case  # a walk-in application the town centre's clerk is still filling in
    actors: dict[str, Client]
    owner_clerk: Client
    town_clerk: Client


def _client(user: User | None, acting_for: User | None = None) -> Client:
    client = Client()
    if user is None:
        return client
    client.force_login(user)
    session = client.session
    if user.kind == UserKind.STAFF:
        session["second_factor_verified"] = True
    if acting_for is not None:
        session[ACTING_SESSION_KEY] = acting_for.pk
    session.save()
    return client


def _agent_out_of_scope(applicants) -> User:
    zhao_id = resident_id("330122", "19900101", 17, female=False)
    population_record_put(actor=None, name="赵六", id_number=zhao_id)
    zhao = verified("13805710009", "赵六", zhao_id)
    enterprises.agent_authorise(
        actor=applicants["sun"],
        enterprise=applicants["firm"],
        phone="13805710009",
        name="赵六",
        all_items=False,
        item_codes=[OTHER_ITEM],
        expires_on=a_year_ahead(),
    )
    return zhao


def _another_applicant() -> User:
    zhou_id = resident_id("330122", "19880808", 23, female=True)
    population_record_put(actor=None, name="周敏", id_number=zhou_id)
    return verified("13805710011", "周敏", zhou_id)


def _walk_in(crew, county, item, li, *, submit: bool) -> Case:
    hall = county["town_hall"]
    case = counter.counter_start(
        actor=crew["town_clerk"],
        hall=hall,
        window=HallWindow.objects.get(hall=hall),
        item=item,
        walk_in=counter.WalkIn(account=li, present=li),
    )
    if not submit:
        return case
    services.draft_save_answers(actor=crew["town_clerk"], case=case, answers=GOOD_ANSWERS)
    for material in case.version.materials.exclude(necessity="optional"):
        counter.counter_paper(actor=crew["town_clerk"], case=case, material_id=material.pk)
    return counter.counter_submit(actor=crew["town_clerk"], case=case)


@pytest.fixture
def world(food_item, county, crew, applicants) -> World:
    firm, wu, li = applicants["firm"], applicants["wu"], applicants["li"]
    firm_case = submitted_case(wu, food_item, services.Applicant(account=firm, person=wu))
    actors = {
        "another_applicant": _client(_another_applicant()),
        "agent_out_of_scope": _client(_agent_out_of_scope(applicants), acting_for=firm),
        "other_org_clerk": _client(crew["civil_clerk"]),
        "far_window_clerk": _client(crew["far_clerk"]),
        "other_hall_clerk": _client(crew["hall_clerk"]),
        "anonymous": _client(None),
    }
    return World(
        firm_case=firm_case,
        counter_case=_walk_in(crew, county, food_item, li, submit=True),
        counter_draft=_walk_in(crew, county, food_item, li, submit=False),
        actors=actors,
        owner_clerk=_client(crew["amr_clerk"]),
        town_clerk=_client(crew["town_clerk"]),
    )


def _rows(model, case: Case) -> list[dict]:
    return [model_to_dict(row) for row in model.objects.filter(case=case).order_by("pk")]


def snapshot(*cases: Case) -> list:
    """Everything a case action could change."""
    state = []
    for case in cases:
        fresh = Case.objects.get(pk=case.pk)
        state.append(
            (
                model_to_dict(fresh),
                fresh.updated_at,
                _rows(CaseEvent, case),
                _rows(CaseMaterial, case),
                _rows(CaseDocument, case),
                _rows(SupplementRequest, case),
            )
        )
    counts = (AuditEntry.objects.count(), Message.objects.count(), OutboxMessage.objects.count(), Case.objects.count())
    return [*state, counts]


# ---------------------------------------------------------------------------------------------------------------
# The requests: (area, method, url, data) for each case page or action


def _wb(name: str, case: Case, *args) -> str:
    return reverse(f"cases-workbench:{name}", args=[case.number, *args])


def _counter(name: str, case: Case, *args) -> str:
    return reverse(f"cases-workbench:{name}", args=[case.public_id, *args])


def _mine(name: str, case: Case, *args) -> str:
    return reverse(f"cases:{name}", args=[case.public_id, *args])


def requests_for(world: World) -> list[tuple[str, str, str, dict]]:
    case, walk_in, draft = world.firm_case, world.counter_case, world.counter_draft
    material = case.version.materials.order_by("order").first()
    upload = case.materials.filter(upload__isnull=False).first()
    document = case.documents.first()
    receipt = walk_in.documents.first()
    version = {"lock_version": case.lock_version}
    supplement = {**version, f"material-{material.pk}": "on", f"problem-{material.pk}": "未签字"}
    return [
        ("workbench", "get", _wb("case", case), {}),
        ("workbench", "get", _wb("supplement", case), {}),
        ("workbench", "post", _wb("accept", case), {**version, "opinion": "同意"}),
        ("workbench", "post", _wb("refuse", case), {**version, "reasons": "不符合", "confirmed": "on"}),
        ("workbench", "post", _wb("supplement", case), supplement),
        ("workbench", "get", _wb("file", case, upload.pk), {}),
        ("workbench", "get", _wb("document", case, document.pk), {}),
        ("workbench", "get", _wb("case", walk_in), {}),
        ("workbench", "post", _wb("accept", walk_in), {"lock_version": walk_in.lock_version}),
        ("counter", "get", _counter("counter_form", draft), {}),
        ("counter", "post", _counter("counter_form", draft), {"shop_name": "改名"}),
        ("counter", "get", _counter("counter_materials", draft), {}),
        ("counter", "post", _counter("counter_materials", draft), {"action": "paper", "material": material.pk}),
        ("counter", "get", _counter("counter_submit", draft), {}),
        ("counter", "post", _counter("counter_submit", draft), {"key": "k1"}),
        ("counter", "get", _counter("counter_receipt", walk_in), {}),
        ("counter", "get", _counter("counter_document", walk_in, receipt.pk), {}),
        ("progress", "get", _mine("detail", case), {}),
        ("progress", "get", _mine("document", case, document.pk), {}),
        ("progress", "post", _mine("withdraw", case), {"reason": "不办了"}),
        ("progress", "get", _mine("supplement", case), {}),
        ("progress", "get", _mine("detail", walk_in), {}),
        ("api", "get", f"/api/v1/cases/{case.number}", {}),
        ("api", "get", f"/api/v1/cases/{walk_in.number}", {}),
    ]


def expected_status(actor: str, area: str) -> int:
    """How each denial looks: a visitor is asked to sign in; a page of a role one lacks is 403; a case one may not
    see is 404 (so nobody learns whether it exists)."""
    if actor == "anonymous":
        return 401 if area == "api" else 302
    if area in ("workbench", "counter") and actor in PEOPLE:
        return 403
    return 404


@pytest.mark.parametrize("actor", ACTORS)
def test_every_case_page_and_action_is_denied_and_changes_nothing(world, actor):
    client = world.actors[actor]
    cases = (world.firm_case, world.counter_case, world.counter_draft)
    for area, method, address, data in requests_for(world):
        before = snapshot(*cases)
        response = getattr(client, method)(address, data)
        assert response.status_code == expected_status(actor, area), (actor, method, address, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("accounts:sign_in"))
        assert snapshot(*cases) == before, (actor, method, address)


@pytest.mark.parametrize("actor", ACTORS)
def test_worklists_do_not_show_cases_of_others(world, actor):
    client = world.actors[actor]
    for name in ("pre_review", "supplement", "due_soon"):
        response = client.get(reverse("cases-workbench:worklist") + f"?list={name}")
        if actor == "anonymous":
            assert response.status_code == 302
        elif actor in PEOPLE:
            assert response.status_code == 403
        else:
            assert response.status_code == 200
            assert world.firm_case.number not in response.content.decode()
            assert world.counter_case.number not in response.content.decode()


def test_the_matrix_addresses_work_for_those_allowed(world):
    """The control: the competent clerk and the town centre's clerk reach the same addresses."""
    case, walk_in, draft = world.firm_case, world.counter_case, world.counter_draft
    assert world.owner_clerk.get(_wb("case", case)).status_code == 200
    assert world.owner_clerk.get(_wb("case", walk_in)).status_code == 200
    assert (
        world.owner_clerk.get(_wb("file", case, case.materials.filter(upload__isnull=False).first().pk)).status_code
        == 200
    )
    worklist = world.owner_clerk.get(reverse("cases-workbench:worklist")).content.decode()
    assert case.number in worklist and walk_in.number in worklist
    assert world.town_clerk.get(_counter("counter_form", draft)).status_code == 200
    assert world.town_clerk.get(_counter("counter_receipt", walk_in)).status_code == 200
    # the town clerk registered it but does not pre-review for the bureau
    assert world.town_clerk.get(_wb("case", walk_in)).status_code == 404

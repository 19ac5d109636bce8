# ruff: noqa: F811 — the deciders fixture is imported from the workbench tests
"""The hot lists' hand-written SQL (cases/list_queries.py) against the ORM's scoped querysets, on SQLite and PostgreSQL:
the same cases in the same order for every identity, the values typed as the ORM types them, and Django's paging."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from django.core.paginator import Paginator
from django.db.models import F
from django.utils import timezone

from tongban.accounts.enterprises import acting_identity_for
from tongban.accounts.models import AgentAuthorisation
from tongban.cases import access, deadlines, list_queries, selectors, services
from tongban.cases import selectors_review as sr
from tongban.cases.models import Case, CaseStatus, ReviewTask, TaskStatus
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import complete_draft, submitted_case
from tongban.cases.tests.test_review_workbench import (
    accepted,
    deciders,  # noqa: F401 — a fixture
    open_task,
    put_on_list,
)

pytestmark = pytest.mark.django_db


def _orm_pks(user, identity, statuses=None) -> list[int]:
    cases = access.applicant_cases(user, identity)
    if statuses is not None:
        cases = cases.filter(status__in=statuses)
    return list(cases.order_by("-created_at", "-pk").values_list("pk", flat=True))


def _sql_pks(user, identity, tab="all") -> list[int]:
    return [row.pk for row in selectors.my_cases(user, identity, tab)]


def test_my_cases_are_the_scoped_querysets_cases_for_every_identity(food_item, applicants, crew):
    li, sun, wu, firm = applicants["li"], applicants["sun"], applicants["wu"], applicants["firm"]
    for_firm = services.Applicant(account=firm, person=sun)
    firm_cases = [submitted_case(sun, food_item, for_firm), complete_draft(sun, food_item, for_firm)]
    own_cases = [submitted_case(li, food_item), complete_draft(li, food_item), submitted_case(li, food_item)]
    submitted_case(sun, food_item)  # the representative's own case: not the enterprise's
    representative, agent = acting_identity_for(sun, firm.pk), acting_identity_for(wu, firm.pk)

    assert _sql_pks(li, None) == _orm_pks(li, None) == [case.pk for case in reversed(own_cases)]
    assert _sql_pks(sun, representative) == _orm_pks(sun, representative) == [case.pk for case in reversed(firm_cases)]
    assert _sql_pks(wu, agent) == _orm_pks(wu, agent) == [case.pk for case in reversed(firm_cases)]
    for tab, statuses in selectors.TAB_STATUSES.items():
        assert _sql_pks(li, None, tab) == _orm_pks(li, None, statuses), tab

    # An agent's scope matches an implementation item's code as well as its basic item's; no code, no cases.
    authorisation = AgentAuthorisation.objects.get(enterprise=firm)
    for codes, expected in (([food_item.code.lower()], firm_cases), (["000113005000"], []), ([], [])):
        authorisation.item_codes = codes
        authorisation.save(update_fields=["item_codes"])
        agent = acting_identity_for(wu, firm.pk)
        assert _sql_pks(wu, agent) == _orm_pks(wu, agent) == [case.pk for case in reversed(expected)], codes

    assert _sql_pks(applicants["li"], None, "nonsense") == _orm_pks(li, None)
    assert list(selectors.my_cases(crew["amr_clerk"], None)) == []  # staff apply for no one: nothing


def test_a_row_carries_the_values_typed_as_the_orm_types_them(food_item, applicants, crew):
    li = applicants["li"]
    case = submitted_case(li, food_item)
    services.case_accept(actor=crew["amr_clerk"], case=case, expected_version=case.lock_version)
    draft = complete_draft(li, food_item)
    case.refresh_from_db()
    draft.refresh_from_db()

    accepted, kept = list(selectors.my_cases(li, None))[::-1]
    assert (accepted.pk, kept.pk) == (case.pk, draft.pk)
    assert accepted.public_id == case.public_id and isinstance(accepted.public_id, uuid.UUID)
    assert accepted.number == case.number and accepted.status == CaseStatus.ACCEPTED
    assert accepted.created_at == case.created_at and timezone.is_aware(accepted.created_at)
    assert accepted.received_at == case.received_at and timezone.is_aware(accepted.received_at)
    assert accepted.accepted_on == case.accepted_on and type(accepted.accepted_on) is dt.date
    assert (accepted.promised_due, accepted.statutory_due) == (case.promised_due, case.statutory_due)
    assert accepted.acceptance_deemed is False and accepted.supervision_flag is False
    assert (accepted.item_code, accepted.item_name) == (food_item.code, "食品经营许可")
    assert accepted.organisation_name == "桐庐县市场监督管理局"
    assert accepted.current_step == "予以受理"
    assert [(d.pk, d.kind, d.number) for d in accepted.documents] == [
        (d.pk, d.kind, d.number) for d in case.documents.order_by("issued_at", "pk")
    ]
    assert [d.kind for d in accepted.documents] == ["receipt", "acceptance"]
    assert all(timezone.is_aware(d.issued_at) for d in accepted.documents)

    assert kept.is_draft and kept.number is None and kept.documents == [] and kept.current_step == ""
    assert kept.draft_expires_at == draft.draft_expires_at and timezone.is_aware(kept.draft_expires_at)


def test_paginator_pages_the_sql_list_as_it_pages_a_queryset(food_item, applicants):
    li = applicants["li"]
    cases = [submitted_case(li, food_item) for _ in range(5)]
    newest_first = [case.pk for case in reversed(cases)]

    paginator = Paginator(selectors.my_cases(li, None), 2)
    assert (paginator.count, paginator.num_pages) == (5, 3)
    assert [row.pk for row in paginator.get_page(2).object_list] == newest_first[2:4]
    assert [row.pk for row in paginator.get_page(99).object_list] == newest_first[4:]  # beyond: the last page
    assert [row.pk for row in paginator.get_page("x").object_list] == newest_first[:2]  # not a number: the first
    empty = Paginator(selectors.my_cases(applicants["wu"], None), 2).get_page(1)
    assert (list(empty.object_list), empty.paginator.count, empty.paginator.num_pages) == ([], 0, 1)


@pytest.mark.parametrize("paginator", [list_queries.SqlPaginator, Paginator])
def test_sql_paginator_gives_the_pages_djangos_paginator_gives(paginator, food_item, applicants):
    li = applicants["li"]
    cases = [submitted_case(li, food_item) for _ in range(5)]
    newest_first = [case.pk for case in reversed(cases)]

    def page(number, applicant=li):
        current = paginator(selectors.my_cases(applicant, None), 2).get_page(number)
        return [row.pk for row in current.object_list], current.number, current.paginator.count

    assert page(1) == (newest_first[:2], 1, 5)
    assert page("2") == (newest_first[2:4], 2, 5)
    assert page(3) == (newest_first[4:], 3, 5)
    assert page(99) == (newest_first[4:], 3, 5)  # beyond the end: the last page
    assert page("x") == page(None) == page(2.5) == (newest_first[:2], 1, 5)  # not a whole number: the first
    assert page(0) == page(-1) == (newest_first[4:], 3, 5)  # below 1: Django gives the last page
    assert page(1, applicants["wu"]) == ([], 1, 0)


def test_sql_paginator_reads_a_page_and_its_count_in_one_statement(food_item, applicants, django_assert_num_queries):
    li = applicants["li"]
    for _ in range(5):
        submitted_case(li, food_item)
    for number, statements in ((1, 1), (3, 1), (99, 3)):  # past the end: the page, then a COUNT and the last page
        with django_assert_num_queries(statements):
            current = list_queries.SqlPaginator(selectors.my_cases(li, None), 2).get_page(number)
            assert (current.paginator.count, current.paginator.num_pages, current.has_next()) == (5, 3, number == 1)
    with django_assert_num_queries(1):
        empty = list_queries.SqlPaginator(selectors.my_cases(applicants["wu"], None), 2).get_page(1)
        assert (empty.object_list, empty.paginator.count, empty.paginator.num_pages) == ([], 0, 1)
    with django_assert_num_queries(0):  # a list that may see nothing runs nothing
        nothing = list_queries.SqlPaginator(list_queries.SqlList.empty(), 2).get_page(1)
        assert (nothing.object_list, nothing.paginator.count) == ([], 0)


def test_a_capped_worklist_page_carries_its_capped_count(food_item, applicants, crew, django_assert_num_queries):
    clerk = crew["amr_clerk"]
    for _ in range(5):
        submitted_case(applicants["li"], food_item)
    organisations = access.pre_review_organisation_ids(clerk)
    with django_assert_num_queries(1):
        first = sr.WorklistPaginator(list_queries.worklist(organisations, CaseStatus.RECEIVED), 2, cap=3).get_page(1)
        assert (first.paginator.count, first.paginator.capped, first.paginator.shown_count) == (4, True, 3)
        assert len(first.object_list) == 2 and first.has_next()
    with django_assert_num_queries(1):  # a page beyond the cap counts every case, still with the page
        last = sr.WorklistPaginator(list_queries.worklist(organisations, CaseStatus.RECEIVED), 2, cap=3).get_page(3)
        assert (last.paginator.count, last.paginator.capped, len(last.object_list), last.has_next()) == (
            5,
            False,
            1,
            False,
        )


def test_worklists_are_the_organisations_cases_in_deadline_order(food_item, applicants, crew):
    li, clerk = applicants["li"], crew["amr_clerk"]
    cases = [submitted_case(li, food_item) for _ in range(3)]
    Case.objects.filter(pk=cases[0].pk).update(acceptance_due=dt.date(2026, 3, 20))
    Case.objects.filter(pk=cases[1].pk).update(acceptance_due=dt.date(2026, 3, 10))
    Case.objects.filter(pk=cases[2].pk).update(acceptance_due=dt.date(2026, 3, 10))
    complete_draft(li, food_item)  # a draft is on no worklist

    assert [row.pk for row in selectors.worklist(clerk, "pre_review")] == [cases[1].pk, cases[2].pk, cases[0].pk]
    due_soon = selectors.worklist(clerk, "due_soon", today=dt.date(2026, 3, 9))  # Monday: +2 working days = 11th
    assert [row.pk for row in due_soon] == [cases[1].pk, cases[2].pk]
    assert list(selectors.worklist(clerk, "supplement")) == []
    assert list(selectors.worklist(applicants["li"], "pre_review")) == []  # not a clerk: nothing
    assert list(list_queries.worklist([], CaseStatus.RECEIVED)) == []
    assert list_queries.worklist([], CaseStatus.RECEIVED).count() == 0


def _orm_worklist(user, name: str, today: dt.date, horizon: dt.date) -> list[int]:
    """The review worklist as querysets read it before list_queries (the reference the SQL must agree with)."""
    tasks = ReviewTask.objects.filter(status=TaskStatus.OPEN)
    if name == "mine":
        tasks = tasks.filter(assignee_id=user.pk)
    else:
        tasks = tasks.filter(access.task_scope(user, assigned=False)).filter(
            **{
                "to_review": {"decides": False},
                "to_approve": {"decides": True},
                "special": {"case__status": CaseStatus.SPECIAL_PROCEDURE},
                "due_soon": {"due_on__gte": today, "due_on__lte": horizon},
                "overdue": {"due_on__lt": today},
            }[name]
        )
    order = (F("due_on").asc(nulls_last=True), "created_at", "pk")
    return list(tasks.order_by(*order).values_list("pk", flat=True))


def test_review_worklists_are_the_scoped_querysets_tasks(food_item, applicants, crew, deciders):
    today = dt.date.today()
    horizon = deadlines.warning_horizon(today)
    clerk = crew["amr_clerk"]
    cases = [accepted(food_item, applicants, crew) for _ in range(6)]
    for case, name in zip(cases, sr.WORKLISTS, strict=True):
        put_on_list(case, clerk, name)
    ReviewTask.objects.filter(case=cases[0]).update(due_on=None)  # no deadline: listed last
    people = [clerk, crew["civil_clerk"], applicants["li"], *deciders.values()]
    for user, name in itertools.product(people, sr.WORKLISTS):
        expected = _orm_worklist(user, name, today, horizon)
        listed = sr.worklist(user, name, today, horizon)
        assert [row.pk for row in listed] == expected, (user.username, name)
        assert listed.count() == len(expected) and listed.count_up_to(1) == min(len(expected), 1)
    assert [row.pk for row in sr.worklist(deciders["head"], "to_review", today)][-1] == open_task(cases[0]).pk

    overseen = [row.pk for row in sr.supervision(deciders["head"], today)]
    assert overseen == _orm_worklist(deciders["head"], "overdue", today, horizon) != []
    assert list(sr.supervision(clerk, today)) == []  # heads nothing: sees no overdue task

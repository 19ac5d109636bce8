import pytest
from django.core.management import call_command
from django.utils import timezone

from tongban.accounts.models import StaffAssignment, User, UserKind
from tongban.cases.models import Case, CaseStatus, ReviewTask, TaskStatus
from tongban.catalog import demo as catalog_demo
from tongban.core import audit
from tongban.core.models import AuditEntry, HallWindow, Organisation, Region
from tongban.demo import data


@pytest.mark.django_db
def test_demo_seed_builds_the_county_and_is_idempotent():
    call_command("demo_seed")
    counts = (Region.objects.count(), Organisation.objects.count(), User.objects.count(), AuditEntry.objects.count())
    call_command("demo_seed")
    assert (Region.objects.count(), Organisation.objects.count(), User.objects.count()) == counts[:3]
    assert AuditEntry.objects.count() == counts[3]

    county = Region.objects.get(code="330122")
    assert county.parent.code == "330100"
    assert Region.objects.filter(parent=county, level=4).count() == 3
    assert Region.objects.filter(parent__parent=county, level=5).count() == 6
    assert Organisation.objects.filter(kind="department").count() == 9
    assert Organisation.objects.filter(kind="service_hall").count() == 1
    assert HallWindow.objects.filter(hall__kind="service_hall").count() == len(data.HALL_WINDOWS)
    catalogue_editors = len(catalog_demo.NEW_EDITOR_USERNAMES)  # one per department (catalog/demo.py)
    assert User.objects.filter(kind=UserKind.STAFF).count() == len(data.STAFF) + catalogue_editors
    assert User.objects.filter(kind=UserKind.PERSON).count() == len(data.PEOPLE)
    assert User.objects.filter(kind=UserKind.ENTERPRISE).count() == len(data.ENTERPRISES)
    assert set(StaffAssignment.objects.values_list("role", flat=True)) == {
        "window_clerk",
        "reviewer",
        "approver",
        "catalogue_editor",
        "catalogue_reviewer",
        "supervisor",
        "hall_manager",
        "system_admin",
        "head",
    }
    assert User.objects.get(username="admin").check_password(data.DEMO_PASSWORD)
    assert audit.verify_chain()[1] is None
    # cases/demo.py: one case in each state a visitor should see, made once.
    assert sorted(Case.objects.values_list("version__name", "status", "channel", "organisation__name")) == [
        ("个体工商户设立登记", CaseStatus.SUPPLEMENT, "online", "桐庐县市场监督管理局"),
        ("企业设立登记", CaseStatus.ACCEPTED, "online", "桐庐县市场监督管理局"),
        ("企业设立登记", CaseStatus.IN_REVIEW, "online", "桐庐县市场监督管理局"),
        ("食品经营许可证核发", CaseStatus.RECEIVED, "online", "桐庐县市场监督管理局"),
        ("食品经营许可证核发", CaseStatus.IN_REVIEW, "online", "桐庐县市场监督管理局"),
        ("食品经营许可证核发", CaseStatus.APPROVED, "online", "桐庐县市场监督管理局"),
        ("高龄津贴申领", CaseStatus.RECEIVED, "window", "桐庐县民政局"),
    ]
    # The review demo: a parallel review half done, an overdue step, one at 审批, a granted case (cases/demo.py).
    today = timezone.localdate()
    open_tasks = ReviewTask.objects.filter(status=TaskStatus.OPEN)
    assert sorted(open_tasks.values_list("case__version__name", "step_name", "organisation__short_name")) == [
        ("企业设立登记", "审批", "市场监管局"),
        ("企业设立登记", "承办", "市场监管局"),
        ("食品经营许可证核发", "牵头部门审查", "市场监管局"),
    ]
    assert open_tasks.get(step_name="承办").due_on < today
    assert open_tasks.get(step_name="牵头部门审查").due_on >= today
    joint = ReviewTask.objects.filter(step_name="协办部门审查", case__status=CaseStatus.IN_REVIEW).get()
    assert (joint.status, joint.organisation.short_name, joint.handler.username) == (
        "done",
        "卫生健康局",
        "reviewer_jin",
    )
    granted = Case.objects.get(status=CaseStatus.APPROVED)
    assert (granted.decided_by.username, granted.tasks.get(decides=True).outcome) == ("approver_zhao", "grant")
    assert User.objects.get(username="13805710002").real_name_level == 3  # 王德福's card was checked at the window


@pytest.mark.django_db
def test_demo_seed_refuses_production(settings):
    from django.core.management.base import CommandError

    settings.TONGBAN_ENV = "production"
    with pytest.raises(CommandError, match="生产模式下不能载入演示数据"):
        call_command("demo_seed")
    assert User.objects.count() == 0

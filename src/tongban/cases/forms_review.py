"""Forms of the review workbench (审查与决定): what the task actions post. The rules of what may happen stay in
cases/review.py; these only parse and give inline messages.

Every form carries the task's lock_version as drawn on the page, so that of two handlers acting at once the second gets
CONFLICT and nothing changes. Forms of one page are prefixed by their task ("task12-…") so several open tasks of a
case can each have their own forms with unique field ids.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from tongban.cases.errors import CaseError
from tongban.cases.forms_workbench import OPINION_MAX
from tongban.cases.models import ReviewTask, TaskOutcome

REVIEW_CHOICES = [(TaskOutcome.AGREE.value, gettext_lazy("同意")), (TaskOutcome.DISAGREE.value, gettext_lazy("不同意"))]
DECISION_CHOICES = [
    (TaskOutcome.GRANT.value, gettext_lazy("准予许可")),
    (TaskOutcome.DENY.value, gettext_lazy("不予许可")),
]
NEGATIVE = (TaskOutcome.DISAGREE, TaskOutcome.DENY)


def task_prefix(task: ReviewTask) -> str:
    return f"task{task.pk}"


class TaskActionForm(forms.Form):
    """What every task action posts: the version of the task the page showed (认领 / 退回 use only this)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AssignForm(TaskActionForm):
    """转办 (to a colleague with the same role) or 改派 (a head or supervisor, to any eligible colleague)."""

    colleague = forms.TypedChoiceField(
        label=gettext_lazy("交给"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("请选择同事"),
            "invalid_choice": CaseError.ASSIGNEE_NOT_ELIGIBLE.message,
        },
    )

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["colleague"].choices = [("", gettext_lazy("请选择")), *choices]


class CompleteForm(TaskActionForm):
    """办理: the conclusion (同意/不同意, or 准予/不予 on the deciding step) and the opinion, required when negative."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("办理结论"),
        widget=forms.RadioSelect,
        error_messages={"required": CaseError.OUTCOME_INVALID.message},
    )
    opinion = forms.CharField(
        label=gettext_lazy("办理意见"),
        required=False,
        max_length=OPINION_MAX,
        help_text=gettext_lazy("不同意或不予许可时必须写明理由和依据"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, decides: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = DECISION_CHOICES if decides else REVIEW_CHOICES
        if decides:
            self.fields["outcome"].label = gettext_lazy("审批决定")
            self.fields["opinion"].label = gettext_lazy("审批意见")

    def clean(self):
        data = super().clean()
        if data.get("outcome") in NEGATIVE and not (data.get("opinion") or "").strip():
            self.add_error("opinion", CaseError.OPINION_REQUIRED.message)
        return data

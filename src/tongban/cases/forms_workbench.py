"""Forms of the staff workbench (预审受理) and the counter (一窗受理): parse and check what a page posts; the rules
of what may happen stay in cases/services.py and cases/counter.py.

Every decision form carries the case's lock_version as drawn on the page, so that of two clerks acting at once the
second gets CONFLICT and nothing changes.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongban.cases.models import Case
from tongban.core.models import HallWindow

FREE_ITEMS = 3  # blank rows for supplement items that are not materials of the item (e.g. a signature, a form field)
OPINION_MAX = 1000


class DecisionForm(forms.Form):
    """What every staff action on a case posts: the version of the case the page showed (pre-review, and the review
    workbench's time and decision panels)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AcceptForm(DecisionForm):
    """受理, with an optional opinion recorded on the timeline."""

    opinion = forms.CharField(
        label=gettext_lazy("受理意见（可选）"),
        required=False,
        max_length=OPINION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefuseForm(DecisionForm):
    """不予受理: reasons are required; the page asks to confirm before the decision is made."""

    reasons = forms.CharField(
        label=gettext_lazy("不予受理的理由"),
        max_length=OPINION_MAX,
        help_text=gettext_lazy("写明依据和理由；通知书会同时告知申请人依法申请行政复议或者提起行政诉讼的权利"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("请写明不予受理的理由")},
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SupplementForm(DecisionForm):
    """补正: every missing or defective material ticked with what is wrong, plus free-text items; at least one.

    Fields are named per material ("material-<id>" ticked, "problem-<id>" what is wrong) and per free row
    ("extra-name-<n>", "extra-problem-<n>"); `items` after cleaning is the list services.case_request_supplement takes.
    """

    note = forms.CharField(
        label=gettext_lazy("补充说明（可选）"),
        required=False,
        max_length=OPINION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.materials = list(case.version.materials.order_by("order", "pk"))
        for material in self.materials:
            self.fields[f"material-{material.pk}"] = forms.BooleanField(label=material.name, required=False)
            self.fields[f"problem-{material.pk}"] = forms.CharField(
                label=_("“%(name)s”的问题") % {"name": material.name}, required=False, max_length=OPINION_MAX
            )
        for number in range(1, FREE_ITEMS + 1):
            self.fields[f"extra-name-{number}"] = forms.CharField(
                label=_("其他补正事项 %(n)d：名称") % {"n": number}, required=False, max_length=100
            )
            self.fields[f"extra-problem-{number}"] = forms.CharField(
                label=_("其他补正事项 %(n)d：问题") % {"n": number}, required=False, max_length=OPINION_MAX
            )

    def material_rows(self) -> list[dict]:
        return [
            {"material": m, "tick": self[f"material-{m.pk}"], "problem": self[f"problem-{m.pk}"]}
            for m in self.materials
        ]

    def extra_rows(self) -> list[dict]:
        return [
            {"number": n, "name": self[f"extra-name-{n}"], "problem": self[f"extra-problem-{n}"]}
            for n in range(1, FREE_ITEMS + 1)
        ]

    def clean(self):
        data = super().clean()
        items = self._material_items(data) + self._free_items(data)
        if not items and not self.errors:
            raise forms.ValidationError(_("请至少列出一项需要补正的材料或内容，并写明问题"))
        data["items"] = items
        return data

    def _material_items(self, data: dict) -> list[dict]:
        items = []
        for material in self.materials:
            ticked, problem = data.get(f"material-{material.pk}"), (data.get(f"problem-{material.pk}") or "").strip()
            if ticked and not problem:
                self.add_error(f"problem-{material.pk}", _("请写明该材料存在的问题"))
            elif problem and not ticked:
                self.add_error(f"material-{material.pk}", _("写了问题的材料请勾选，或删去问题"))
            elif ticked:
                items.append({"material": material.pk, "problem": problem})
        return items

    def _free_items(self, data: dict) -> list[dict]:
        items = []
        for number in range(1, FREE_ITEMS + 1):
            name = (data.get(f"extra-name-{number}") or "").strip()
            problem = (data.get(f"extra-problem-{number}") or "").strip()
            if name and not problem:
                self.add_error(f"extra-problem-{number}", _("请写明问题"))
            elif problem and not name:
                self.add_error(f"extra-name-{number}", _("请写明补正事项的名称"))
            elif name:
                items.append({"material": None, "name": name, "problem": problem})
        return items


# ---------------------------------------------------------------------------------------------------------------
# The counter


class WindowChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: HallWindow) -> str:
        return f"{obj.hall.name} · {obj.number} {obj.name}"


class CounterPlaceForm(forms.Form):
    """Where the clerk sits today: one acceptance window of a hall where they are a window clerk."""

    window = WindowChoiceField(
        label=gettext_lazy("受理窗口"),
        queryset=HallWindow.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择受理窗口"), "invalid_choice": gettext_lazy("请选择受理窗口")},
    )

    def __init__(self, *args, windows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = windows


class ItemSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("事项名称或实施编码"), required=False, max_length=100)


class WalkInForm(forms.Form):
    """Who the application is for, and how the clerk checked who stands at the window."""

    PERSON, ENTERPRISE = "person", "enterprise"

    kind = forms.ChoiceField(
        label=gettext_lazy("申请人类型"),
        choices=[(PERSON, gettext_lazy("自然人")), (ENTERPRISE, gettext_lazy("企业（法人）"))],
        widget=forms.RadioSelect,
        initial=PERSON,
    )
    phone = forms.CharField(
        label=gettext_lazy("手机号码"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("自然人：填写手机号码或身份证号码之一；企业：填写到场的法定代表人或经办人的手机号码"),
    )
    id_number = forms.CharField(label=gettext_lazy("身份证号码"), required=False, max_length=18)
    uscc = forms.CharField(label=gettext_lazy("企业统一社会信用代码"), required=False, max_length=18)
    agent_name = forms.CharField(
        label=gettext_lazy("经办人姓名（无平台账号时）"),
        required=False,
        max_length=50,
        help_text=gettext_lazy("经办人没有平台账号时填写，须核验其身份证件和企业授权委托书"),
    )
    agent_phone = forms.CharField(label=gettext_lazy("经办人联系电话"), required=False, max_length=20)
    identity_checked = forms.BooleanField(
        label=gettext_lazy("已现场核验到场人员的身份证原件"),
        required=False,
        help_text=gettext_lazy("勾选后，到场人员的账号将提升为实名等级 L3（现场核验）"),
    )
    card_name = forms.CharField(
        label=gettext_lazy("证件上的姓名"),
        required=False,
        max_length=50,
        help_text=gettext_lazy("账号尚未实名时，照身份证填写姓名和号码"),
    )
    card_number = forms.CharField(label=gettext_lazy("证件上的身份证号码"), required=False, max_length=18)

    def clean(self):
        data = super().clean()
        for key in ("phone", "id_number", "uscc", "agent_name", "agent_phone", "card_name", "card_number"):
            data[key] = (data.get(key) or "").strip()
        if data.get("kind") == self.ENTERPRISE:
            self._check_enterprise(data)
        elif data.get("kind") == self.PERSON and not (data["phone"] or data["id_number"]):
            self.add_error("phone", _("请填写申请人的手机号码或身份证号码"))
        return data

    def _check_enterprise(self, data: dict) -> None:
        if not data["uscc"]:
            self.add_error("uscc", _("请填写企业统一社会信用代码"))
        if not (data["phone"] or data["agent_name"]):
            self.add_error("phone", _("请填写到场人员的手机号码，或在下方填写无账号经办人的姓名"))


class CounterUploadForm(forms.Form):
    """One scanned or uploaded file for one material."""

    material = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(
        label=gettext_lazy("选择文件"),
        help_text=gettext_lazy("PDF、JPG、PNG 或 OFD 文件"),
        error_messages={"required": gettext_lazy("请选择要上传的文件")},
    )

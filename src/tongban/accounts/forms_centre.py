"""Forms of the personal centre (个人中心) and the window's in-person verification: parsing only, rules in services."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

_REQUIRED = {"required": _("此项为必填项")}


class RealNameForm(forms.Form):
    """Name + resident ID number, checked against the population registry."""

    name = forms.CharField(
        label=_("姓名"),
        max_length=50,
        error_messages=_REQUIRED,
        help_text=_("与身份证上的姓名一致"),
        widget=forms.TextInput(attrs={"autocomplete": "name", "class": "input-medium"}),
    )
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=30,
        error_messages=_REQUIRED,
        help_text=_("18 位，最后一位可能是 X"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input-medium", "spellcheck": "false"}),
    )


class InPersonRealNameForm(RealNameForm):
    """What the window clerk confirms after holding the ID card."""

    card_checked = forms.BooleanField(
        label=_("我已查验本人的身份证原件，人证一致"),
        error_messages={"required": _("请先查验身份证原件并勾选确认")},
    )
    reclaim = forms.BooleanField(
        label=_("收回该身份：该身份已由另一账号在网上核验，证件核对无误，改由本人账号使用"),
        required=False,
    )


class FindPersonForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        error_messages=_REQUIRED,
        help_text=_("办事人注册时使用的手机号码"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "class": "input-medium"}),
    )


class EnterpriseBindForm(forms.Form):
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,
        error_messages=_REQUIRED,
        help_text=_("营业执照上的 18 位代码"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input-medium", "spellcheck": "false"}),
    )


class AgentForm(forms.Form):
    """An agent (经办人) by phone and name, for all items or listed item codes, until a date."""

    SCOPE_ALL, SCOPE_LISTED = "all", "listed"

    name = forms.CharField(
        label=_("经办人姓名"),
        max_length=50,
        error_messages=_REQUIRED,
        help_text=_("须与经办人实名核验的姓名一致"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "input-medium"}),
    )
    phone = forms.CharField(
        label=_("经办人手机号码"),
        max_length=20,
        error_messages=_REQUIRED,
        help_text=_("经办人用这个手机号码登录后，可以切换为企业身份办事"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "class": "input-medium"}),
    )
    scope = forms.ChoiceField(
        label=_("授权范围"),
        choices=[(SCOPE_LISTED, _("指定事项")), (SCOPE_ALL, _("全部事项"))],
        initial=SCOPE_LISTED,
        widget=forms.RadioSelect,
        error_messages=_REQUIRED,
    )
    item_codes = forms.CharField(
        label=_("事项编码"),
        required=False,
        help_text=_("选择“指定事项”时填写：12 位基本编码或 31 位实施编码，每行一个"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    expires_on = forms.DateField(
        label=_("有效期至"),
        error_messages={"required": _("此项为必填项"), "invalid": _("请输入正确的日期，如 2027-01-31")},
        help_text=_("含当天，最长 3 年"),
        widget=forms.DateInput(attrs={"type": "date", "class": "input-medium"}, format="%Y-%m-%d"),
    )

    def codes(self) -> list[str]:
        return [code for code in re.split(r"[\s,，、;；]+", self.cleaned_data.get("item_codes", "")) if code]

    def all_items(self) -> bool:
        return self.cleaned_data.get("scope") == self.SCOPE_ALL

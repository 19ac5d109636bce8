"""Forms of the sign-in pages: they only parse; the rules live in signin.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import DomainError


class AccessibleForm(forms.Form):
    """A form whose inputs point at their error message (aria-describedby) once they have one."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in list(self._errors):
            if name in self.fields:
                bound = self[name]
                ids = [f"{bound.auto_id}_helptext"] if self.fields[name].help_text else []
                self.fields[name].widget.attrs["aria-describedby"] = " ".join([*ids, f"{bound.auto_id}_error"])

    def add_domain_error(self, error: DomainError) -> None:
        """Put a refused service call's messages on its fields, or on the form when it names none of them."""
        placed = False
        for name, messages in error.fields.items():
            if name in self.fields:
                for message in messages:
                    self.add_error(name, str(message))
                placed = True
        if not placed:
            self.add_error(None, error.message)


class PhoneForm(AccessibleForm):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        help_text=_("中国大陆 11 位手机号码"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "class": "input-medium"}),
    )


class CodeForm(AccessibleForm):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=10,
        help_text=_("6 位数字，5 分钟内有效"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "input-short",
                "pattern": "[0-9０-９ ]*",
            }
        ),
    )


class PasswordSignInForm(AccessibleForm):
    login = forms.CharField(
        label=_("手机号码或用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "class": "input-medium"}),
    )
    password = forms.CharField(
        label=_("密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "input-medium"}),
    )


_NEW_PASSWORD_HELP = _("至少 10 位，包含字母、数字、符号中的至少两种；不能是常见密码或纯数字")


class NewPasswordForm(AccessibleForm):
    new_password = forms.CharField(
        label=_("新密码"),
        max_length=128,
        strip=False,
        help_text=_NEW_PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "input-medium"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "input-medium"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class ResetConfirmForm(CodeForm, NewPasswordForm):
    field_order = ["code", "new_password", "new_password2"]


class PasswordChangeForm(NewPasswordForm):
    current_password = forms.CharField(
        label=_("当前密码"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "input-medium"}),
    )
    field_order = ["current_password", "new_password", "new_password2"]

    def __init__(self, *args, has_password: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_password:
            del self.fields["current_password"]

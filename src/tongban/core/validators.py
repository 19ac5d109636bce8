"""Validators for identifiers the platform accepts: resident ID numbers, unified social credit codes, region codes.

Checksums come from python-stdnum; the messages are the platform's own, in Chinese by default.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)


def normalize_id_number(value: str) -> str:
    """Canonical form of a resident ID number: no spaces, upper-case X."""
    return "".join(str(value).split()).upper()


def validate_id_number(value: str) -> None:
    """Raise ValidationError with a Chinese message unless value is a valid 18-digit resident ID (GB 11643-1999)."""
    number = normalize_id_number(value)
    try:
        ric.validate(number)
    except InvalidLength:
        raise ValidationError(_("身份证号码应为 18 位"), code="id_length") from None
    except InvalidFormat:
        raise ValidationError(
            _("身份证号码格式不正确：前 17 位应为数字，最后一位为数字或 X"), code="id_format"
        ) from None
    except InvalidChecksum:
        raise ValidationError(_("身份证号码校验位不正确，请核对后重新输入"), code="id_checksum") from None
    except InvalidComponent:
        raise _id_component_error(number) from None
    except StdnumError:
        raise ValidationError(_("身份证号码无效"), code="id_invalid") from None
    if len(number) != 18:
        # stdnum also accepts the obsolete 15-digit form; the platform only takes second-generation numbers.
        raise ValidationError(_("身份证号码应为 18 位"), code="id_length")
    if ric.get_birth_date(number) > timezone.localdate():
        raise ValidationError(_("身份证号码中的出生日期无效"), code="id_birth_date")


def _id_component_error(number: str) -> ValidationError:
    """Say which part is wrong: the birth date (digits 7-14) or the region of registration (digits 1-6)."""
    try:
        ric.get_birth_date(number)
    except InvalidComponent:
        return ValidationError(_("身份证号码中的出生日期无效"), code="id_birth_date")
    return ValidationError(_("身份证号码中的地区代码无效（前 6 位不是当时有效的行政区划代码）"), code="id_region")


def normalize_uscc(value: str) -> str:
    return "".join(str(value).split()).upper()


def validate_uscc(value: str) -> None:
    """Raise ValidationError with a Chinese message unless value is a valid unified social credit code (GB 32100)."""
    code = normalize_uscc(value)
    try:
        uscc.validate(code)
    except InvalidLength:
        raise ValidationError(_("统一社会信用代码应为 18 位"), code="uscc_length") from None
    except InvalidFormat:
        if not code[:8].isdigit():
            raise ValidationError(
                _("统一社会信用代码前 8 位（登记管理部门、机构类别和登记管理机关行政区划码）应为数字"),
                code="uscc_format",
            ) from None
        raise ValidationError(
            _("统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）"), code="uscc_format"
        ) from None
    except InvalidChecksum:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对后重新输入"), code="uscc_checksum") from None
    except (InvalidComponent, StdnumError):
        raise ValidationError(_("统一社会信用代码无效"), code="uscc_invalid") from None


def validate_region_code(value: str) -> None:
    """A GB/T 2260 region code: 6 digits (province/city/county), 9 (town/street) or 12 (village/community)."""
    if not (value.isascii() and value.isdigit() and len(value) in (6, 9, 12)):
        raise ValidationError(_("行政区划代码应为 6、9 或 12 位数字"), code="region_code")

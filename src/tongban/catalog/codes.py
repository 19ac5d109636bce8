"""Item codes (DOMAIN.md): the 12-digit basic code (基本编码) and the 31-character implementation code (实施编码).

Basic code = source (2: "00" national, else the province's GB/T 2260 prefix) + item type (2) + department (2)
+ main item (3) + sub-item (3). Implementation code = the implementing organisation's unified social credit code (18)
+ exercise level (1) + basic code (12). Every refusal names the part that is wrong, in Chinese.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tongban.catalog.errors import CatalogError
from tongban.catalog.models import ExerciseLevel, ItemType
from tongban.core.errors import DomainError
from tongban.core.validators import validate_uscc

NATIONAL_SOURCE = "00"
# Province-level prefixes of GB/T 2260 (the first two digits of every region code in that province).
PROVINCE_PREFIXES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42"}
    | {"43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}
)
BASIC_CODE_LENGTH = 12
IMPLEMENTATION_CODE_LENGTH = 31


def _refuse(message: str, field: str) -> DomainError:
    return DomainError(CatalogError.INVALID_CODE, message, fields={field: [message]})


def _digits(value: str, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()


def _check_source(source: str, field: str) -> None:
    if not _digits(source, 2):
        raise _refuse(_("基本编码第 1-2 位（来源）应为 2 位数字"), field)
    if source != NATIONAL_SOURCE and source not in PROVINCE_PREFIXES:
        raise _refuse(_("基本编码第 1-2 位（来源）应为 00（国家级）或省级行政区划代码前两位"), field)


def _check_item_type(item_type: str, field: str) -> None:
    if item_type not in ItemType.values:
        raise _refuse(_("基本编码第 3-4 位（事项类型）应为 01-10 或 20 之一"), field)


def _check_department(department_code: str, field: str) -> None:
    if not _digits(department_code, 2):
        raise _refuse(_("基本编码第 5-6 位（部门代码）应为 2 位数字"), field)


def _check_main(main_number: str, field: str) -> None:
    if not _digits(main_number, 3) or main_number == "000":
        raise _refuse(_("基本编码第 7-9 位（主项编号）应为 001-999 的 3 位数字"), field)


def _check_sub(sub_number: str, field: str) -> None:
    if not _digits(sub_number, 3):
        raise _refuse(_("基本编码第 10-12 位（子项编号）应为 3 位数字，无子项时为 000"), field)


def basic_code(source: str, item_type: str, department_code: str, main_number: str, sub_number: str) -> str:
    """The 12-digit basic code from its parts; INVALID_CODE naming the wrong part (field = the argument's name)."""
    _check_source(source, "source")
    _check_item_type(item_type, "item_type")
    _check_department(department_code, "department_code")
    _check_main(main_number, "main_number")
    _check_sub(sub_number, "sub_number")
    return f"{source}{item_type}{department_code}{main_number}{sub_number}"


def validate_basic_code(code: str, *, field: str = "code") -> None:
    """Raise INVALID_CODE unless `code` is a well-formed 12-digit basic code."""
    if not _digits(code, BASIC_CODE_LENGTH):
        raise _refuse(_("基本编码应为 12 位数字"), field)
    _check_source(code[0:2], field)
    _check_item_type(code[2:4], field)
    _check_department(code[4:6], field)
    _check_main(code[6:9], field)
    _check_sub(code[9:12], field)


def _check_uscc(uscc: str, field: str) -> None:
    try:
        validate_uscc(uscc)
    except ValidationError as exc:
        raise _refuse(
            _("实施编码第 1-18 位（实施主体统一社会信用代码）有误：%(reason)s") % {"reason": exc.messages[0]}, field
        ) from None
    if uscc != uscc.strip().upper():
        raise _refuse(_("实施编码第 1-18 位（实施主体统一社会信用代码）应使用大写字母且不含空格"), field)


def _check_exercise_level(exercise_level: str, field: str) -> None:
    if exercise_level not in ExerciseLevel.values:
        raise _refuse(_("实施编码第 19 位（行使层级）应为 1-6 之一"), field)


def implementation_code(uscc: str, exercise_level: str, basic_code: str) -> str:
    """The 31-character implementation code; INVALID_CODE naming the wrong part (field = the argument's name)."""
    _check_uscc(uscc, "uscc")
    _check_exercise_level(exercise_level, "exercise_level")
    validate_basic_code(basic_code, field="basic_code")
    return f"{uscc}{exercise_level}{basic_code}"


def validate_implementation_code(code: str, *, field: str = "code") -> None:
    """Raise INVALID_CODE unless `code` is a well-formed 31-character implementation code."""
    if not isinstance(code, str) or len(code) != IMPLEMENTATION_CODE_LENGTH:
        raise _refuse(_("实施编码应为 31 位（统一社会信用代码 18 位 + 行使层级 1 位 + 基本编码 12 位）"), field)
    _check_uscc(code[:18], field)
    _check_exercise_level(code[18], field)
    if not _digits(code[19:], BASIC_CODE_LENGTH):
        raise _refuse(_("实施编码第 20-31 位（基本编码）应为 12 位数字"), field)
    validate_basic_code(code[19:], field=field)

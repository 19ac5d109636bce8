"""Item codes: the 12-digit basic code and the 31-character implementation code, and the part each refusal names."""

import pytest

from tongban.catalog import codes
from tongban.catalog.errors import CatalogError
from tongban.core.errors import DomainError
from tongban.core.tests.identifiers import uscc

ORG_USCC = uscc("11330122704296302")


def refusal(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code is CatalogError.INVALID_CODE
    return caught.value


def test_basic_code_is_the_parts_in_order():
    assert codes.basic_code("33", "01", "07", "001", "000") == "330107001000"
    assert codes.basic_code("00", "20", "15", "123", "004") == "002015123004"


@pytest.mark.parametrize(
    ("parts", "field", "words"),
    [
        (("3", "01", "07", "001", "000"), "source", "第 1-2 位（来源）"),
        (("99", "01", "07", "001", "000"), "source", "省级行政区划代码"),
        (("33", "11", "07", "001", "000"), "item_type", "第 3-4 位（事项类型）"),
        (("33", "01", "7", "001", "000"), "department_code", "第 5-6 位（部门代码）"),
        (("33", "01", "07", "000", "000"), "main_number", "第 7-9 位（主项编号）"),
        (("33", "01", "07", "01", "000"), "main_number", "第 7-9 位（主项编号）"),
        (("33", "01", "07", "001", "1a0"), "sub_number", "第 10-12 位（子项编号）"),
        (("33", "01", "07", "001", "０００"), "sub_number", "第 10-12 位（子项编号）"),  # full-width digits
    ],
)
def test_basic_code_names_the_wrong_part(parts, field, words):
    error = refusal(codes.basic_code, *parts)
    assert list(error.fields) == [field]
    assert words in error.message
    assert error.fields[field] == [error.message]


def test_validate_basic_code_accepts_a_good_code():
    codes.validate_basic_code("330107001000")
    codes.validate_basic_code("002015123004")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("33010700100", "应为 12 位数字"),
        ("3301070010000", "应为 12 位数字"),
        ("33010700100X", "应为 12 位数字"),
        ("990107001000", "来源"),
        ("331207001000", "事项类型"),
        ("330107000000", "主项编号"),
    ],
)
def test_validate_basic_code_refuses(code, words):
    error = refusal(codes.validate_basic_code, code)
    assert words in error.message
    assert list(error.fields) == ["code"]


def test_implementation_code_is_uscc_level_and_basic_code():
    code = codes.implementation_code(ORG_USCC, "4", "330107001000")
    assert code == f"{ORG_USCC}4330107001000"
    assert len(code) == 31
    codes.validate_implementation_code(code)


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ((ORG_USCC[:-1] + ("0" if ORG_USCC[-1] != "0" else "1"), "4", "330107001000"), "uscc", "校验位"),
        ((ORG_USCC[:17], "4", "330107001000"), "uscc", "18 位"),
        (
            (ORG_USCC.lower() if ORG_USCC.lower() != ORG_USCC else ORG_USCC + " ", "4", "330107001000"),
            "uscc",
            "第 1-18 位",
        ),
        ((ORG_USCC, "7", "330107001000"), "exercise_level", "第 19 位（行使层级）"),
        ((ORG_USCC, "4", "331207001000"), "basic_code", "事项类型"),
    ],
)
def test_implementation_code_names_the_wrong_part(args, field, words):
    error = refusal(codes.implementation_code, *args)
    assert list(error.fields) == [field]
    assert words in error.message


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (f"{ORG_USCC}4330107001", "应为 31 位"),
        (f"{ORG_USCC[:-1]}Z4330107001000", "统一社会信用代码"),
        (f"{ORG_USCC}0330107001000", "行使层级"),
        (f"{ORG_USCC}433010700100A", "第 20-31 位（基本编码）"),
        (f"{ORG_USCC}4990107001000", "来源"),
    ],
)
def test_validate_implementation_code_refuses(code, words):
    error = refusal(codes.validate_implementation_code, code)
    assert words in error.message
    assert list(error.fields) == ["code"]

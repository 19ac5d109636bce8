import pytest
from django.core.exceptions import ValidationError

from tongban.core.tests.identifiers import id_check, id_number, uscc, uscc_check
from tongban.core.validators import validate_id_number, validate_region_code, validate_uscc


def _message(validator, value) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value.code, caught.value.messages[0]


# ------------------------------------------------------------------ resident ID numbers


def test_valid_id_numbers_pass_including_lower_case_x_and_spaces():
    validate_id_number(id_number())
    with_x = id_number(sequence="009")
    assert with_x.endswith("X")
    validate_id_number(with_x.lower())
    validate_id_number(" 330106 19900307 1236 ")


@pytest.mark.parametrize("value", ["33010619900307123", "3301061990030712361", "330106900307123"])
def test_id_length(value):
    assert _message(validate_id_number, value) == ("id_length", "身份证号码应为 18 位")


def test_id_format_letter_in_the_first_17():
    body = "33010619900A07123"
    assert _message(validate_id_number, body + "1") == (
        "id_format",
        "身份证号码格式不正确：前 17 位应为数字，最后一位为数字或 X",
    )


def test_id_checksum():
    valid = id_number()
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    assert _message(validate_id_number, wrong) == ("id_checksum", "身份证号码校验位不正确，请核对后重新输入")


@pytest.mark.parametrize("birth", ["19901332", "19900230", "19900001"])
def test_id_birth_date_that_does_not_exist(birth):
    assert _message(validate_id_number, id_number(birth=birth)) == ("id_birth_date", "身份证号码中的出生日期无效")


def test_id_birth_date_in_the_future():
    assert _message(validate_id_number, id_number(birth="20990101")) == (
        "id_birth_date",
        "身份证号码中的出生日期无效",
    )


@pytest.mark.parametrize(
    ("region", "birth"),
    [
        ("999999", "19900307"),  # no such code
        ("110103", "20150307"),  # 崇文区 was abolished in 2010
    ],
)
def test_id_region_unknown_or_not_current_at_birth(region, birth):
    assert _message(validate_id_number, id_number(region=region, birth=birth)) == (
        "id_region",
        "身份证号码中的地区代码无效（前 6 位不是当时有效的行政区划代码）",
    )


def test_id_check_helper_matches_the_standard_mapping():
    # Sum 0 maps to "1" and sum 2 to "X" in "10X98765432".
    assert id_check("00000000000000000") == "1"
    assert id_check("00000000000000001") == "X"  # last weight is 2


# ------------------------------------------------------------------ unified social credit codes


def test_valid_uscc_pass_normalised():
    code = uscc()
    validate_uscc(code)
    validate_uscc(" " + code.lower() + " ")


@pytest.mark.parametrize("value", ["11330106704296351", "1133010670429635100"])
def test_uscc_length(value):
    assert _message(validate_uscc, value) == ("uscc_length", "统一社会信用代码应为 18 位")


def test_uscc_first_eight_must_be_digits():
    body = "1A3301067042963510"
    assert _message(validate_uscc, body) == (
        "uscc_format",
        "统一社会信用代码前 8 位（登记管理部门、机构类别和登记管理机关行政区划码）应为数字",
    )


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V", "*"])
def test_uscc_letters_outside_the_alphabet(letter):
    body = "113301067042963" + letter + "1"
    assert _message(validate_uscc, body + "0") == (
        "uscc_format",
        "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）",
    )


def test_uscc_checksum():
    code = uscc()
    wrong = code[:-1] + ("1" if code[-1] != "1" else "2")
    assert _message(validate_uscc, wrong) == ("uscc_checksum", "统一社会信用代码校验位不正确，请核对后重新输入")


def test_uscc_check_with_letters_in_the_body():
    body = "91330106MA2CXYQ8P"
    validate_uscc(body + uscc_check(body))


# ------------------------------------------------------------------ region codes


@pytest.mark.parametrize("value", ["330106", "330106001", "330106001001"])
def test_region_code_lengths(value):
    validate_region_code(value)


@pytest.mark.parametrize("value", ["33010", "3301060", "33010600100", "33O106", "３３０１０６", ""])
def test_region_code_rejected(value):
    assert _message(validate_region_code, value) == ("region_code", "行政区划代码应为 6、9 或 12 位数字")

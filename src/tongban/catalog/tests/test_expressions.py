"""The safe-expression whitelist for gateway conditions: what is allowed, what is refused and why (in Chinese)."""

from __future__ import annotations

import pytest

from tongban.catalog.errors import CatalogError
from tongban.catalog.expressions import check_expression, evaluate, expression_names, expression_problems
from tongban.core.errors import DomainError

FIELDS = {"area", "business_type", "has_licence", "employees"}


@pytest.mark.parametrize(
    "expression",
    [
        "area > 100",
        "area >= 100 and employees < 50",
        "not has_licence",
        "business_type in ['餐饮', '食品销售']",
        "business_type not in ('网络经营',)",
        "inspection_passed == True",
        "review_passed and (area <= 500 or has_licence)",
        "0 < area <= 300",
        "employees > -1",
        "department_opinions == '同意'",
    ],
)
def test_allowed_expressions(expression):
    assert expression_problems(expression, FIELDS) == []
    check_expression(expression, FIELDS)  # does not raise


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("len(business_type) > 2", "流程条件不允许调用函数：len(business_type)"),
        ("__import__('os').system('id')", "流程条件不允许调用函数：__import__('os').system('id')"),
        ("area.real > 1", "流程条件不允许访问属性：area.real"),
        ("business_type[0] == '餐'", "流程条件不允许使用下标：business_type[0]"),
        ("(lambda: 1)() == 1", "流程条件不允许调用函数：(lambda: 1)()"),
        ("[x for x in business_type] == []", "流程条件不允许使用推导式：[x for x in business_type]"),
        ("area + 1 > 2", "流程条件不允许计算，只能比较：area + 1"),
        ("__import__ == 1", "流程条件不允许使用以下划线开头的名字：__import__"),
        ("__builtins__", "流程条件不允许使用以下划线开头的名字：__builtins__"),
        ("salary > 3000", "流程条件中的“salary”不是申请表字段，也不是办件变量"),
        ("area > ", "流程条件不是合法的表达式：area >"),
        ("import os", "流程条件不是合法的表达式：import os"),
        ("area is None", "流程条件不允许使用该比较（is / is not），请用 == 或 !=：area is None"),
        ("business_type in [area, 1]", "in 右边的列表只能包含常量：area"),
        ("", "流程条件不能为空"),
    ],
)
def test_refused_expressions_say_why(expression, message):
    with pytest.raises(DomainError) as raised:
        check_expression(expression, FIELDS)
    assert raised.value.code is CatalogError.INVALID_PROCESS
    assert raised.value.message == message


def test_lambda_alone_is_refused():
    assert expression_problems("lambda: area", FIELDS) == ["流程条件不允许定义函数：lambda: area"]


def test_without_form_fields_any_plain_name_passes_but_dunders_do_not():
    assert expression_problems("salary > 3000", None) == []
    assert expression_problems("__class__ == 1", None) == ["流程条件不允许使用以下划线开头的名字：__class__"]


def test_names_read_by_an_expression():
    assert expression_names("area > 1 and business_type in ['a'] or not approved") == {
        "area",
        "business_type",
        "approved",
    }


def test_evaluate_without_eval():
    variables = {"area": 120, "business_type": "餐饮", "has_licence": False}
    assert evaluate("area > 100 and business_type in ['餐饮', '食品销售']", variables) is True
    assert evaluate("not has_licence", variables) is True
    assert evaluate("0 < area <= 100", variables) is False
    assert evaluate("area > 100 and employees > 3", variables) is False  # a missing field reads as None: false


def test_evaluate_refuses_what_the_whitelist_refuses():
    with pytest.raises(DomainError):
        evaluate("__import__('os').getcwd() == ''", {})

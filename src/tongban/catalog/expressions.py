"""The safe-expression whitelist (流程条件白名单) for BPMN gateway conditions.

A condition is a Python expression (SpiffWorkflow's expression language) but only a tiny, side-effect-free part of
it is allowed: comparisons, `and` / `or` / `not`, names of application-form fields or of a few case variables,
constants, and a list or tuple of constants on the right of `in` / `not in`. Calls, attributes, subscripts, lambdas,
comprehensions, arithmetic and names starting with an underscore are refused with a Chinese message, so an uploaded
BPMN file can never run code on the server. `evaluate` interprets an accepted expression itself (no `eval`).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tongban.catalog.errors import CatalogError
from tongban.core.errors import DomainError

# Variables a case provides to its process besides the application-form fields (the case issues set them).
CASE_VARIABLES = frozenset(
    {
        "applicant_kind",  # "person" | "enterprise"
        "review_passed",  # 审查/审核 result (bool)
        "inspection_passed",  # 现场核查 result (bool)
        "approved",  # 审批 decision (bool)
        "department_opinions",  # 并联审批: list of departments' opinions ("同意" / "不同意")
        "deferred_materials",  # 容缺受理: number of materials still owed
    }
)

_COMPARISONS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}

_REFUSED = (
    (ast.Call, gettext_noop("流程条件不允许调用函数：%(source)s")),
    (ast.Attribute, gettext_noop("流程条件不允许访问属性：%(source)s")),
    (ast.Subscript, gettext_noop("流程条件不允许使用下标：%(source)s")),
    (ast.Lambda, gettext_noop("流程条件不允许定义函数：%(source)s")),
    ((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp), gettext_noop("流程条件不允许使用推导式：%(source)s")),
    ((ast.NamedExpr,), gettext_noop("流程条件不允许赋值：%(source)s")),
    ((ast.BinOp,), gettext_noop("流程条件不允许计算，只能比较：%(source)s")),
    ((ast.IfExp,), gettext_noop("流程条件不允许使用条件表达式，请拆成多条流转条件：%(source)s")),
    ((ast.Await, ast.Yield, ast.YieldFrom), gettext_noop("流程条件不允许使用该语法：%(source)s")),
)


def expression_problems(expression: str, names: Iterable[str] | None = None) -> list[str]:
    """Chinese reasons why `expression` is not allowed (empty when it is).

    `names` are the form fields the condition may use (CASE_VARIABLES are always allowed); None accepts any plain
    name, for a process stored before it is attached to a form (the form check comes later).
    """
    source = (expression or "").strip()
    if not source:
        return [_("流程条件不能为空")]
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return [_("流程条件不是合法的表达式：%(source)s") % {"source": source}]
    allowed = None if names is None else frozenset(names) | CASE_VARIABLES
    problems: list[str] = []
    _check(tree.body, source, allowed, problems)
    return list(dict.fromkeys(problems))


def check_expression(expression: str, form_fields: Iterable[str] | None = None) -> None:
    """Raise DomainError(INVALID_PROCESS) naming the first problem of a gateway condition."""
    problems = expression_problems(expression, form_fields)
    if problems:
        raise DomainError(CatalogError.INVALID_PROCESS, problems[0], fields={"condition": problems})


def expression_names(expression: str) -> set[str]:
    """The variable names an (accepted) expression reads."""
    tree = ast.parse(expression.strip(), mode="eval")
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _segment(source: str, node: ast.AST) -> str:
    return ast.get_source_segment(source, node) or type(node).__name__


def _check(node: ast.AST, source: str, allowed: frozenset[str] | None, problems: list[str]) -> None:
    for kinds, message in _REFUSED:
        if isinstance(node, kinds):
            problems.append(_(message) % {"source": _segment(source, node)})
            return
    if isinstance(node, ast.Constant):
        return
    if isinstance(node, ast.Name):
        _check_name(node.id, allowed, problems)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, source, allowed, problems)
        return
    if isinstance(node, ast.UnaryOp):
        _check_unary(node, source, allowed, problems)
        return
    if isinstance(node, ast.Compare):
        _check_compare(node, source, allowed, problems)
        return
    if isinstance(node, (ast.List, ast.Tuple)):
        problems.append(_("列表只能写在 in / not in 的右边：%(source)s") % {"source": _segment(source, node)})
        return
    problems.append(_not_allowed(source, node))


def _not_allowed(source: str, node: ast.AST) -> str:
    return _("流程条件只能包含比较、与或非、表单字段和常量，不允许：%(source)s") % {"source": _segment(source, node)}


def _check_name(name: str, allowed: frozenset[str] | None, problems: list[str]) -> None:
    if name.startswith("_"):
        problems.append(_("流程条件不允许使用以下划线开头的名字：%(name)s") % {"name": name})
    elif allowed is not None and name not in allowed:
        problems.append(_("流程条件中的“%(name)s”不是申请表字段，也不是办件变量") % {"name": name})


def _check_unary(node: ast.UnaryOp, source: str, allowed, problems: list[str]) -> None:
    if isinstance(node.op, ast.Not):
        _check(node.operand, source, allowed, problems)
    elif isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) and _is_number(node.operand.value):
        return
    else:
        problems.append(_not_allowed(source, node))


def _check_compare(node: ast.Compare, source: str, allowed, problems: list[str]) -> None:
    _check(node.left, source, allowed, problems)
    for op, right in zip(node.ops, node.comparators, strict=True):
        if type(op) not in _COMPARISONS:
            problems.append(
                _("流程条件不允许使用该比较（is / is not），请用 == 或 !=：%(source)s")
                % {"source": _segment(source, node)}
            )
        elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.List, ast.Tuple)):
            for element in right.elts:
                if not _is_constant(element):
                    problems.append(_("in 右边的列表只能包含常量：%(source)s") % {"source": _segment(source, element)})
        else:
            _check(right, source, allowed, problems)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)


# ---------------------------------------------------------------------------------------------------------------
# Evaluation without eval(): walks the accepted tree.


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """The value of an allowed expression over `variables`; refuses (DomainError) what the whitelist refuses.

    A name missing from `variables` reads as None, so a condition on an optional field that was left empty is false
    rather than an error.
    """
    check_expression(expression, None)
    tree = ast.parse(expression.strip(), mode="eval")
    return _value(tree.body, variables)


def _value(node: ast.AST, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return variables.get(node.id)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(element, variables) for element in node.elts]
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, variables)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.BoolOp):
        return _bool_op(node, variables)
    if isinstance(node, ast.Compare):
        return _compare(node, variables)
    raise DomainError(CatalogError.INVALID_PROCESS, _("流程条件无法计算：%(node)s") % {"node": type(node).__name__})


def _bool_op(node: ast.BoolOp, variables: Mapping[str, Any]) -> Any:
    result: Any = None
    for value in node.values:
        result = _value(value, variables)
        if isinstance(node.op, ast.And) and not result:
            return result
        if isinstance(node.op, ast.Or) and result:
            return result
    return result


def _compare(node: ast.Compare, variables: Mapping[str, Any]) -> bool:
    left = _value(node.left, variables)
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        right = _value(comparator, variables)
        try:
            if not _COMPARISONS[type(op)](left, right):
                return False
        except TypeError:  # None < 3, "a" in None …: an empty or mistyped value does not satisfy the condition
            return False
        left = right
    return True


# ---------------------------------------------------------------------------------------------------------------
# SpiffWorkflow runs conditions and timer values through its script engine, which by default calls eval(); a
# process of the platform runs with this engine instead, so even a definition stored before a rule changed cannot
# execute code.


class WhitelistEnvironment:
    """A SpiffWorkflow script environment that evaluates through `evaluate` and refuses scripts."""

    def __init__(self):
        self.globals: dict[str, Any] = {}

    def evaluate(self, expression, context, external_context=None):
        return evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        raise DomainError(CatalogError.INVALID_PROCESS, _("流程中不允许脚本"))

    def call_service(self, context, **kwargs):
        raise DomainError(CatalogError.INVALID_PROCESS, _("流程中不允许调用服务"))


def safe_script_engine():
    """The script engine to give every BpmnWorkflow of the platform (BpmnWorkflow(spec, script_engine=...))."""
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

    return PythonScriptEngine(environment=WhitelistEnvironment())

"""Template punctuation between values in the page's language (see catalog/punctuation.py): {% punct "colon" %},
{{ note|bracketed }}, {{ labels|join_list }}, {{ messages|join_clauses }}. Values are escaped unless already safe."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from tongban.catalog import punctuation

register = template.Library()


@register.simple_tag(name="punct")
def punct(name: str) -> str:
    """One mark of punctuation.MARKS in the active language."""
    return punctuation.mark(name)


@register.filter
def bracketed(value) -> SafeString:
    """（value） in Chinese, " (value)" in English."""
    return mark_safe(punctuation.bracketed(conditional_escape(value)))  # noqa: S308 — the value is escaped


@register.filter
def join_list(values) -> SafeString:
    """Values joined with 、 in Chinese, ", " in English."""
    return mark_safe(punctuation.join_list(conditional_escape(value) for value in values))  # noqa: S308 — escaped


@register.filter
def join_clauses(values) -> SafeString:
    """Values joined with ； in Chinese, "; " in English (several messages about one field)."""
    escaped = (str(conditional_escape(value)) for value in values)
    return mark_safe(punctuation.mark("semicolon").join(escaped))  # noqa: S308 — escaped

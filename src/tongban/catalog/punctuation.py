"""Punctuation that the catalogue puts between values (a colon after a label, brackets around a note, the list comma
、): full-width in Chinese, ASCII with the spacing English wants in any other language.

Data (item names, notes) stays as written; only the joins the code or a template adds follow the active language, so
an English page shows no stray Chinese punctuation and no translated string has to carry a bare "：" or "（".
Templates use the tags in templatetags/catalog_punctuation.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import get_language

# name: (Chinese, other languages)
MARKS = {
    "colon": ("：", ": "),
    "comma": ("，", ", "),
    "list_comma": ("、", ", "),
    "semicolon": ("；", "; "),
    "full_stop": ("。", "."),
    "open_bracket": ("（", " ("),
    "close_bracket": ("）", ")"),
}


def mark(name: str) -> str:
    """The punctuation mark `name` (a key of MARKS) in the active language."""
    chinese, other = MARKS[name]
    return chinese if (get_language() or "zh-hans").lower().startswith("zh") else other


def bracketed(text: str) -> str:
    """（text） in Chinese, " (text)" otherwise."""
    return f"{mark('open_bracket')}{text}{mark('close_bracket')}"


def join_list(values: Iterable[object]) -> str:
    """Values joined with 、 in Chinese, ", " otherwise."""
    return mark("list_comma").join(str(value) for value in values)

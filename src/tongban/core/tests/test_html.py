"""core.html: the hot lists' escaping gives exactly what Django's format_html_join gives."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from tongban.core.html import escaped, html_join

ROWS = [
    ("<script>alert('x')</script>", 'a "quoted" & ampersand'),
    (mark_safe("<b>已是安全的</b>"), gettext_lazy("办件编号")),
    (format_html("<i>{}</i>", "<"), 20261122),
    (None, ""),
]
TEMPLATE = '<div title="{}"><dt>{}</dt></div>'


def test_html_join_is_format_html_join():
    with override("en"):
        ours, djangos = html_join(TEMPLATE, ROWS), format_html_join("", TEMPLATE, ROWS)

    assert ours == djangos
    assert isinstance(ours, SafeString)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in ours
    assert "<b>已是安全的</b>" in ours and "Case number" in ours


def test_escaped_keeps_safe_text_and_escapes_the_rest():
    assert escaped(mark_safe("<br>")) == "<br>"
    assert escaped("<br>") == "&lt;br&gt;"
    assert escaped(gettext_lazy("办件编号")) == "办件编号"

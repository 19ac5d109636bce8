"""core.html: the hot lists' escaping gives exactly what Django's format_html_join gives."""

from __future__ import annotations

import html

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from tongban.core.html import escaped, html_format, html_join, html_rows

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


def test_escaped_is_html_escape_for_every_character_it_changes():
    text = "".join(chr(code) for code in range(32, 127)) + "办件&amp;"

    assert escaped(text) == html.escape(text, quote=True)


def test_escaped_keeps_safe_text_and_escapes_the_rest():
    assert escaped(mark_safe("<br>")) == "<br>"
    assert escaped("<br>") == "&lt;br&gt;"
    assert escaped(gettext_lazy("办件编号")) == "办件编号"


def test_html_format_is_format_html():
    template = '<a href="{0}">{name}</a>{1}'
    args, kwargs = ('/x?a=1&b="2"', mark_safe("<br>")), {"name": gettext_lazy("办件编号")}

    ours, djangos = html_format(template, *args, **kwargs), format_html(template, *args, **kwargs)

    assert ours == djangos == '<a href="/x?a=1&amp;b=&quot;2&quot;">办件编号</a><br>'
    assert isinstance(ours, SafeString)


def test_html_rows_formats_each_row_with_its_fields():
    rows = [("<a>", 1), ("b", 2)]

    html = html_rows("<tr><td>{name}</td><td>{n}</td></tr>", rows, lambda row: {"name": row[0], "n": row[1]})

    assert html == "<tr><td>&lt;a&gt;</td><td>1</td></tr><tr><td>b</td><td>2</td></tr>"
    assert isinstance(html, SafeString)

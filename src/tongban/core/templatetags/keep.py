"""`{% keep name=value … %}…{% endkeep %}`: a fragment rendered once per process for each set of values it names.

Most of the page shell (the display buttons, the account links, the footer) is the same HTML for every reader with the
same language and display preferences, yet Django renders it afresh on every page: ~5 600 Python calls, more than
half of what a signed-in list page costs (docs/performance.md, tenth session). A kept fragment is rendered the first
time each combination of its named values, the active language and the script prefix is seen, and reused after.

It is rendered in a context that holds only the values it names (no request, user, csrf token or page variables), so
it cannot come to depend on anything else by accident: a variable it forgot to name renders empty, the first time
and every time, and the shell's tests see it. `{% url %}`, `{% static %}` and `{% translate %}` inside are fine: they
depend on the script prefix, the deployment and the language, which are in the key. Per-request values (a csrf
token, the page's address, the user's name) belong outside.

What is kept lives on the compiled template's node, so a template reloaded in development starts empty; a changed
setting (`override_settings` in a test) empties every fragment.
"""

from __future__ import annotations

from django import template
from django.core.signals import setting_changed
from django.template.base import token_kwargs
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_KEPT = 64  # combinations per fragment; a fragment keyed by an unbounded value starts again when full
_generation = 0  # bumped by every setting change: what was rendered under other settings is not reused


def _forget_all(**_signal) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_forget_all, dispatch_uid="tongban.core.keep")


class KeepNode(template.Node):
    """A fragment and what it rendered, by (language, script prefix, its named values)."""

    # Django walks a base template's whole node tree on every render of a page that extends it, looking for
    # {% block %}s (ExtendsNode.render); a kept fragment holds none (the tag refuses them), so the walk skips it.
    child_nodelists = ()

    def __init__(self, nodelist, values: dict):
        self.nodelist = nodelist
        self.values = values  # name -> FilterExpression
        self._kept: dict = {}
        self._generation = _generation

    def render(self, context) -> str:
        values = {name: expression.resolve(context) for name, expression in self.values.items()}
        key = (get_language(), get_script_prefix(), *values.values())
        if self._generation != _generation:
            self._kept, self._generation = {}, _generation
        html = self._kept.get(key)
        if html is None:
            html = self.nodelist.render(context.new(values))
            if len(self._kept) >= MAX_KEPT:
                self._kept = {}
            self._kept[key] = html
        return mark_safe(html)  # noqa: S308 (rendered by the template engine, which escaped what needed it)


@register.tag
def keep(parser, token):
    """`{% keep %}` or `{% keep care=display.care font=display.font %}` … `{% endkeep %}`."""
    bits = token.split_contents()[1:]
    values = token_kwargs(bits, parser)
    if bits:
        raise template.TemplateSyntaxError(f"keep takes only name=value arguments, not {' '.join(bits)}")
    nodelist = parser.parse(("endkeep",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("a {% block %} cannot be inside {% keep %}: it would be rendered only once")
    return KeepNode(nodelist, values)

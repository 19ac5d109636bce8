"""{% keep %}: a shell fragment rendered once per process for each language and named value, and only from those."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.utils import translation

from tongban.core.templatetags import keep


class Counted:
    """A value whose `label` counts how often a template read it: a kept fragment reads it once per key."""

    def __init__(self, key: str):
        self.key = key
        self.reads = 0

    def __eq__(self, other):
        return isinstance(other, Counted) and other.key == self.key

    def __hash__(self):
        return hash(self.key)

    @property
    def label(self) -> str:
        self.reads += 1
        return f"<{self.key}>"


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def test_a_fragment_is_rendered_once_for_each_value_and_escaped_as_usual():
    fragment = Template("{% load keep %}{% keep item=item %}[{{ item.label }}]{% endkeep %}")
    a, same_as_a, b = Counted("a"), Counted("a"), Counted("b")

    assert fragment.render(Context({"item": a})) == "[&lt;a&gt;]"
    assert fragment.render(Context({"item": same_as_a})) == "[&lt;a&gt;]"
    assert fragment.render(Context({"item": b})) == "[&lt;b&gt;]"
    assert (a.reads, same_as_a.reads, b.reads) == (1, 0, 1)


def test_a_fragment_sees_only_the_values_it_names():
    fragment = Template(
        "{% load keep %}{% keep shown=shown %}[{{ shown }}|{{ secret }}|{{ request.path }}]{% endkeep %}"
    )

    html = fragment.render(Context({"shown": "s", "secret": "x", "request": object()}))

    assert html == "[s||]"


def test_the_language_is_part_of_the_key():
    fragment = Template('{% load i18n keep %}{% keep %}{% translate "跳到主要内容" %}{% endkeep %}')

    chinese = fragment.render(Context())
    with translation.override("en"):
        english = fragment.render(Context())

    assert (chinese, english, fragment.render(Context())) == ("跳到主要内容", "Skip to main content", "跳到主要内容")


def test_a_changed_setting_renders_again():
    fragment = Template("{% load keep %}{% keep item=item %}{{ item.label }}{% endkeep %}")
    item = Counted("a")
    fragment.render(Context({"item": item}))

    with override_settings(TONGBAN_PLATFORM_NAME="另一个平台"):
        fragment.render(Context({"item": item}))
    fragment.render(Context({"item": item}))

    assert item.reads == 3  # once before, once under the override, once after it was undone


def test_a_fragment_keeps_a_bounded_number_of_renderings(monkeypatch):
    monkeypatch.setattr(keep, "MAX_KEPT", 2)
    fragment = Template("{% load keep %}{% keep item=item %}{{ item.label }}{% endkeep %}")
    a = Counted("a")
    for item in (a, Counted("b"), Counted("c"), a):
        fragment.render(Context({"item": item}))

    assert a.reads == 2  # "c" found the store full and emptied it


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% keep %}{% block x %}{% endblock %}{% endkeep %}", "a {% block %} cannot be inside {% keep %}"),
        ("{% keep item %}{% endkeep %}", "keep takes only name=value arguments, not item"),
    ],
)
def test_a_block_or_a_bare_argument_is_refused(source, message):
    with pytest.raises(TemplateSyntaxError, match=re.escape(message)):
        Template("{% load keep %}" + source)


@pytest.mark.django_db
def test_the_shell_shows_each_reader_their_own_preferences_name_and_links(client):
    """Two readers one after the other in one process: the second sees nothing kept from the first."""
    client.cookies["tb_font"] = "l"
    client.cookies["tb_theme"] = "contrast"
    large = client.get("/cases/lookup/").content.decode()
    client.cookies["tb_font"] = "s"
    client.cookies["tb_theme"] = "default"
    small = client.get("/cases/lookup/").content.decode()
    person = get_user_model().objects.create_user(
        username="13800000001", password="x", kind="person", display_name="张三"
    )
    client.force_login(person)
    signed_in = client.get("/cases/lookup/").content.decode()

    assert 'name="font" value="l" aria-pressed="true"' in large
    assert 'name="theme" value="contrast" aria-pressed="true"' in large
    assert 'name="font" value="s" aria-pressed="true"' in small
    assert 'name="theme" value="default" aria-pressed="true"' in small
    assert 'name="font" value="l" aria-pressed="false"' in small
    assert ">登录</a>" in small
    assert "张三" in signed_in
    assert '<a href="/cases/mine/">我的办件</a>' in signed_in
    assert ">登录</a>" not in signed_in
    assert len(re.findall(r'name="csrfmiddlewaretoken"', signed_in)) == 4  # two toolbar forms, 退出 and the lookup form

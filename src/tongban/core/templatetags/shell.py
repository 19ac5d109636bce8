"""Template helpers of the page shell: display preferences and the deployment region's full name."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

register = template.Library()

# Cookie names and their allowed values; the toolbar script (static/js/shell.js) writes the same cookies.
FONT_COOKIE = "tb_font"
CARE_COOKIE = "tb_care"
THEME_COOKIE = "tb_theme"
FONT_SIZES = ("s", "m", "l")
THEMES = ("default", "contrast", "green", "yellow")
PREFERENCE_COOKIES = {FONT_COOKIE: FONT_SIZES, CARE_COOKIE: ("0", "1"), THEME_COOKIE: THEMES}


@dataclass(frozen=True)
class DisplayPreferences:
    """How the reader wants pages shown (字号, 关怀模式, 配色); read from cookies so the first paint is right."""

    font: str = "m"
    care: bool = False
    theme: str = "default"

    @property
    def css_classes(self) -> str:
        classes = []
        if self.font != "m":
            classes.append(f"font-{self.font}")
        if self.care:
            classes.append("care")
        if self.theme != "default":
            classes.append(f"theme-{self.theme}")
        return " ".join(classes)


def preferences_from_cookies(cookies) -> DisplayPreferences:
    """Unknown or tampered values fall back to the defaults instead of reaching the page."""
    font = cookies.get(FONT_COOKIE, "m")
    theme = cookies.get(THEME_COOKIE, "default")
    return DisplayPreferences(
        font=font if font in FONT_SIZES else "m",
        care=cookies.get(CARE_COOKIE) == "1",
        theme=theme if theme in THEMES else "default",
    )


@register.simple_tag(takes_context=True)
def display_preferences(context) -> DisplayPreferences:
    request = context.get("request")
    return preferences_from_cookies(request.COOKIES if request is not None else {})


@register.filter
def region_path(region) -> str:
    """ "浙江省 杭州市 桐庐县" for a county: the region preceded by its ancestors, province first."""
    names = []
    while region is not None and len(names) < 5:
        names.append(region.name)
        region = region.parent
    return " ".join(reversed(names))

"""The time panel's data for the workbench case page (`{% case_time case user as time %}`): the workbench includes
`cases/review/_time_panel.html` with only the case and the user, so the partial asks here. And a deadline warning's
words (`{{ level|deadline_warning }}`), as the worklists show them."""

from django import template

register = template.Library()


@register.simple_tag
def case_time(case, user) -> dict:
    """Special procedures, extensions and the forms the user may use (views_time.panel_context)."""
    from tongban.cases.views_time import panel_context

    return panel_context(case, user)


@register.filter
def deadline_warning(level: str) -> str:
    """已超期 / 即将超期 for "red" / "yellow" (views_review.warning_html); nothing for no warning."""
    from tongban.cases.views_review import warning_html

    return warning_html(level)

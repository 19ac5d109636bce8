"""The time panel's data for the workbench case page (`{% case_time case user as time %}`): the workbench includes
`cases/review/_time_panel.html` with only the case and the user, so the partial asks here."""

from django import template

register = template.Library()


@register.simple_tag
def case_time(case, user) -> dict:
    """Special procedures, extensions and the forms the user may use (views_time.panel_context)."""
    from tongban.cases.views_time import panel_context

    return panel_context(case, user)

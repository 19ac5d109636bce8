"""The decision panel's data for the workbench case page (`{% case_decision case user as decision %}`): the
workbench includes `cases/review/_decision_panel.html` with only the case and the user, so the partial asks here."""

from django import template

register = template.Library()


@register.simple_tag
def case_decision(case, user) -> dict:
    """The outcome of the case and the delivery / revocation forms the user may use (views_decision.panel_context)."""
    from tongban.cases.views_decision import panel_context

    return panel_context(case, user)

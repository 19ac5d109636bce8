"""Template helpers of the catalogue workbench: draw any form's fields the same accessible way."""

from django import template

register = template.Library()


@register.filter
def workbench_rows(form) -> list[dict]:
    """Every field of `form` as rows for catalog/workbench/_field.html."""
    from tongban.catalog.views_workbench import field_rows

    return field_rows(form, list(form.fields))

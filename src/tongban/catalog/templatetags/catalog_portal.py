"""Template helpers of the portal pages: page links that keep the other query parameters, and plain-word labels."""

from __future__ import annotations

from django import template

from tongban.catalog import portal

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """?…&page=N keeping every other query parameter (q, filters, region) of the current page."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


@register.filter
def visits_label(version) -> str:
    """最多跑一次 etc. for a version's number of visits."""
    return str(portal.VISITS_LABELS.get(version.visits, ""))

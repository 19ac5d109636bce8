"""Public portal pages (办事大厅): search, browse by department/theme/type/region, the guide, downloads, 我的收藏.

Views only parse, authorise, call and render; reads are in catalog/portal.py, search in catalog/search.py, the one
write (收藏) in catalog/favourites.py. Every page works without JavaScript and runs a fixed number of queries.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePath
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongban.catalog import access, favourites, portal, search
from tongban.catalog.models import ItemType, Theme
from tongban.core.models import Organisation
from tongban.core.selectors import service_points

PER_PAGE = 20
# Facets of search results shown as filter links, with the query parameter each one sets. The chosen region is the
# region filter (the chooser above the results), so the "region" facet is not offered as links.
FACET_PARAMS = {
    "organisation": ("department", gettext_lazy("按部门")),
    "item_type": ("type", gettext_lazy("按事项类型")),
}


def _region_context(request) -> dict:
    regions = portal.deployment_regions()
    code = portal.chosen_region_code(request, regions)
    chosen = next((region for region in regions if region.code == code), None)
    return {"regions": regions, "region_code": code, "chosen_region": chosen}


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _query_string(request, **changes) -> str:
    params = {key: value for key, value in request.GET.items() if value}
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(params)


def home_context(request) -> dict:
    """What the home page shows besides the shell: search, themes, departments, most-used items, region choice."""
    context = _region_context(request)
    code = context["region_code"]
    themes = portal.themes_by_audience()
    context.update(
        person_themes=themes.get(Theme.Audience.PERSON, []),
        enterprise_themes=themes.get(Theme.Audience.ENTERPRISE, []),
        departments=portal.departments(code),
        most_used=portal.most_used(code),
    )
    return context


def home(request):
    """The front door: one search box, themes, departments, most-used items, region choice, 12345 and service points."""
    context = home_context(request)
    context["service_points"] = service_points()
    return render(request, "catalog/portal/home.html", context)


@require_POST
def region_choose(request):
    """Remember the chosen region in a cookie (works without JavaScript) and go back to the page."""
    regions = portal.deployment_regions()
    code = request.POST.get("region", "")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = "/"
    next_url = re.sub(r"([?&])region=[^&]*&?", r"\1", next_url).rstrip("?&")
    response = HttpResponseRedirect(next_url or "/", status=303)
    if code in {region.code for region in regions}:
        response.set_cookie(
            portal.REGION_COOKIE,
            code,
            max_age=portal.REGION_COOKIE_MAX_AGE,
            samesite="Lax",
            secure=request.is_secure(),
            httponly=True,
        )
    elif code == "":
        response.delete_cookie(portal.REGION_COOKIE, samesite="Lax")
    return response


def search_results(request):
    """事项搜索: the query stays in the box; facets are links that add one filter; an empty result suggests ways on."""
    context = _region_context(request)
    q = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "")
    filters = {
        "region_code": context["region_code"],
        "organisation_id": int(department) if department.isdigit() else None,
        "item_type": request.GET.get("type", "") if request.GET.get("type", "") in ItemType.values else "",
        "audience": request.GET.get("audience", "")
        if request.GET.get("audience", "") in ("person", "enterprise")
        else "",
        "theme": request.GET.get("theme", "")[:50],
    }
    page_number = request.GET.get("page", "1")
    page_number = int(page_number) if page_number.isdigit() and 0 < int(page_number) < 1000 else 1
    results = (
        search.cached("page", _as_they_are, q=q, page=page_number, per_page=PER_PAGE, **filters)
        if (q or any(filters.values()))
        else None
    )
    context.update(
        q=q,
        results=results,
        facet_groups=_facet_groups(request, results.facets) if results else [],
        active_filters=_active_filters(request),
        themes=portal.themes_by_audience() if results is not None and results.total == 0 else {},
        previous_query=_query_string(request, page=page_number - 1) if results and page_number > 1 else "",
        next_query=_query_string(request, page=page_number + 1) if results and page_number < results.pages else "",
    )
    return render(request, "catalog/portal/search.html", context)


def _as_they_are(results: search.SearchResults) -> search.SearchResults:
    """The results page keeps the search results themselves (its links depend on the request, not the results)."""
    return results


def _facet_groups(request, facets: dict) -> list[dict]:
    """Each facet as a titled list of links (label, count, href, current) that filter the same search further."""
    groups = []
    for name, (param, title) in FACET_PARAMS.items():
        links = []
        for entry in facets.get(name) or []:
            current = entry.value == request.GET.get(param, "")
            href = "?" + _query_string(request, page=None, **{param: "" if current else entry.value})
            links.append({"label": entry.label, "count": entry.count, "href": href, "current": current})
        if links:
            groups.append({"name": name, "title": title, "links": links})
    return groups


def _active_filters(request) -> list[dict]:
    """Filters in force other than the query, each with a link that removes it."""
    active = []
    for param in ("department", "type", "audience", "theme"):
        if request.GET.get(param):
            active.append({"param": param, "href": "?" + _query_string(request, page=None, **{param: ""})})
    return active


def department_list(request):
    context = _region_context(request)
    context["departments"] = portal.departments(context["region_code"])
    return render(request, "catalog/portal/department_list.html", context)


def department_items(request, organisation_id: int):
    organisation = get_object_or_404(Organisation.objects.select_related("region"), pk=organisation_id, active=True)
    context = _region_context(request)
    page = _page(request, portal.items_of_department(organisation.pk, context["region_code"]))
    context.update(page=page, heading=organisation.name, kind="department", about=organisation)
    return render(request, "catalog/portal/item_list.html", context)


def theme_list(request):
    context = _region_context(request)
    themes = portal.themes_by_audience()
    context.update(
        person_themes=themes.get(Theme.Audience.PERSON, []),
        enterprise_themes=themes.get(Theme.Audience.ENTERPRISE, []),
    )
    return render(request, "catalog/portal/theme_list.html", context)


def theme_items(request, code: str):
    theme = get_object_or_404(Theme, code=code)
    context = _region_context(request)
    page = _page(request, portal.items_of_theme(theme, context["region_code"]))
    context.update(page=page, heading=theme.name, kind="theme", about=theme)
    return render(request, "catalog/portal/item_list.html", context)


def type_list(request):
    context = _region_context(request)
    context["item_types"] = portal.item_types_with_counts(context["region_code"])
    return render(request, "catalog/portal/type_list.html", context)


def type_items(request, code: str):
    labels = dict(ItemType.choices)
    if code not in labels:
        raise Http404
    context = _region_context(request)
    page = _page(request, portal.items_of_type(code, context["region_code"]))
    context.update(page=page, heading=labels[code], kind="type")
    return render(request, "catalog/portal/item_list.html", context)


def region_list(request):
    return render(request, "catalog/portal/region_list.html", _region_context(request))


def region_items(request, code: str):
    context = _region_context(request)
    region = next((region for region in context["regions"] if region.code == code), None)
    if region is None:
        raise Http404
    page = _page(request, portal.items_in_region(region.code))
    context.update(page=page, heading=region.name, kind="region", about=region)
    return render(request, "catalog/portal/item_list.html", context)


def guide(request, code: str):
    """办事指南: every element of the published version in sections; ?print=1 is the print version.

    The elements are rendered once per published version and language and cached (guide_fragments); each view then
    reads the item (one query) and renders only what depends on the reader: 收藏, the print switch.
    """
    item = access.access_published_item(code)
    version = item.published_version
    portal.guide_viewed(item, user_agent=request.META.get("HTTP_USER_AGENT", ""))
    context = {
        "item": item,
        "version": version,
        "organisation": item.organisation,
        "guide": guide_fragments(item),
        "consultation_phone": portal.consultation_phone(version.consultation),
        "is_favourite": portal.is_favourite(request.user, item),
        "print_view": request.GET.get("print") == "1",
    }
    return render(request, "catalog/portal/guide.html", context)


def guide_fragments(item) -> dict:
    """The guide's key facts and sections as HTML, from the cache or rendered (1 query plus 4 prefetches) and cached
    for portal.GUIDE_CACHE_SECONDS; `has_faqs` for the table of contents."""
    key = portal.guide_cache_key(item.published_version)
    fragments = cache.get(key)
    if fragments is None:
        context = _guide_context(item, portal.guide_version(item))
        fragments = {
            "facts": render_to_string("catalog/portal/_guide_facts.html", context),
            "sections": render_to_string("catalog/portal/_guide_sections.html", context),
            "has_faqs": bool(context["version"].faqs.all()),
        }
        cache.set(key, fragments, portal.GUIDE_CACHE_SECONDS)
    # Rendered by our own templates (every value escaped there), so safe to insert as they are.
    return {**fragments, "facts": mark_safe(fragments["facts"]), "sections": mark_safe(fragments["sections"])}  # noqa: S308


def _guide_context(item, version) -> dict:
    return {
        "item": item,
        "version": version,
        "organisation": version.item.organisation,
        "area": portal.valid_area(version),
        "online_depth_label": portal.ONLINE_DEPTH_LABELS.get(version.online_depth, ""),
        "visits_label": portal.VISITS_LABELS.get(version.visits, ""),
        "handling_forms": [
            portal.HANDLING_FORM_LABELS[f] for f in version.handling_forms if f in portal.HANDLING_FORM_LABELS
        ],
        "audiences": [portal.AUDIENCE_LABELS[a] for a in version.service_object if a in portal.AUDIENCE_LABELS],
        "real_name_label": portal.REAL_NAME_LABELS.get(version.min_real_name_level, ""),
        "consultation_phone": portal.consultation_phone(version.consultation),
        "outline_steps": (version.process.outline or {}).get("steps", []) if version.process_id else [],
    }


def _download(file_field, label: str, stem: str):
    if not file_field:
        raise Http404
    suffix = PurePath(file_field.name).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""
    filename = _safe_filename(_("%(name)s（%(label)s）") % {"name": stem, "label": label}) + suffix
    try:
        handle = file_field.storage.open(file_field.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


def _safe_filename(text: str) -> str:
    """A name that cannot break out of Content-Disposition or name a path: no quotes, slashes, controls; ≤ 80 chars."""
    cleaned = re.sub(r'[\x00-\x1f\x7f"\\/:*?<>|;]+', "", text).strip(" .")
    return cleaned[:80] or "download"


def material_download(request, code: str, material_id: int, kind: str):
    """A material's blank form (空白表格) or filled sample (示例样表), from the published version only."""
    if kind not in ("form", "sample"):
        raise Http404
    item = access.access_published_item(code)
    material = get_object_or_404(item.published_version.materials, pk=material_id)
    if kind == "form":
        return _download(material.blank_form, _("空白表格"), material.name)
    return _download(material.sample, _("示例样表"), material.name)


def result_sample_download(request, code: str):
    item = access.access_published_item(code)
    version = item.published_version
    return _download(version.result_sample, _("审批结果样本"), version.result_name or version.name)


@require_POST
def favourite_toggle(request, code: str):
    """收藏 / 取消收藏; someone not signed in is sent to sign in and comes back to the guide."""
    guide_url = reverse("catalog:guide", args=[code])
    if not request.user.is_authenticated:
        return HttpResponseRedirect(f"{reverse('accounts:sign_in')}?{urlencode({'next': guide_url})}", status=303)
    item = access.access_published_item(code)
    added = favourites.favourite_toggle(actor=request.user, item=item)
    messages.success(request, _("已加入我的收藏。") if added else _("已从我的收藏中移除。"))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = guide_url
    return HttpResponseRedirect(next_url, status=303)


@login_required
def favourite_list(request):
    page = Paginator(portal.favourites_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "catalog/portal/favourites.html", {"page": page})

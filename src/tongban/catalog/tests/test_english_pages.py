"""Catalogue pages in English show no Chinese punctuation of their own: every colon, bracket and list comma the
templates add between values follows the page's language (catalog/punctuation.py). The demo data stays Chinese, so
each page's text is checked with the data's own strings taken out."""

from __future__ import annotations

import html
import re

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tongban.accounts.models import User
from tongban.catalog import punctuation
from tongban.catalog.models import ImplementationItem, ItemVersion, VersionStatus
from tongban.catalog.templatetags import catalog_punctuation
from tongban.demo.seed import seed_demo

CJK_PUNCTUATION = re.compile(r"[，。：；（）、！？“”‘’《》【】]")
CJK = re.compile(r"[\u3400-\u9fff]")
DATA_APPS = ("catalog", "core", "accounts")


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if CJK.search(line)]
    if isinstance(value, dict):
        return [text for entry in value.values() for text in _strings(entry)]
    if isinstance(value, list):
        return [text for entry in value for text in _strings(entry)]
    return []


def data_strings() -> list[str]:
    """Every Chinese text stored in the catalogue, core and account tables (lines of it), longest first."""
    found: set[str] = set()
    text_fields = (models.CharField, models.TextField, models.JSONField)
    for label in DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [field.name for field in model._meta.concrete_fields if isinstance(field, text_fields)]
            if names:
                for row in model.objects.values_list(*names):
                    found.update(text for value in row for text in _strings(value))
    return sorted(found, key=len, reverse=True)


def stray_punctuation(page: str, data: list[str]) -> list[str]:
    """Lines of the page's main content that still hold Chinese punctuation once the stored data is taken out."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    text = html.unescape(re.sub(r"<[^>]+>", "\n", re.sub(r"<script.*?</script>", "", main, flags=re.S)))
    for value in data:
        text = text.replace(value, "¤")
    return [line.strip() for line in text.splitlines() if CJK_PUNCTUATION.search(line)]


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"  # core.middleware.LanguageMiddleware follows this cookie only
    return client


def staff_client(username: str) -> Client:
    client = english(Client())
    client.force_login(User.objects.get(username=username))
    session = client.session
    session["second_factor_verified"] = True  # as views_staff sets it after the dynamic code
    session.save()
    return client


@pytest.mark.django_db
def test_english_catalogue_pages_show_no_chinese_punctuation_of_their_own():
    seed_demo()
    data = data_strings()
    food = ImplementationItem.objects.get(published_version__name="食品经营许可证核发")
    published = ItemVersion.objects.filter(item=food, status=VersionStatus.PUBLISHED).get()
    guide = reverse("catalog:guide", args=[food.code])
    pages = {
        english(Client()): ["/", "/services/search/?q=开饭店", guide, f"{guide}?print=1"],
        staff_client("catreviewer_zhou"): [
            reverse("catalog_workbench:review_queue"),
            reverse("catalog_workbench:review_detail", args=[published.pk]),
            reverse("catalog_workbench:published_items"),
            reverse("catalog_workbench:item_retire", args=[published.pk]) + "?back=published",
        ],
        staff_client("editor_qian"): [
            reverse("catalog_workbench:my_items"),
            reverse("catalog_workbench:item_create"),
        ],
    }
    for client, urls in pages.items():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Language"] == "en"
            assert stray_punctuation(response.content.decode(), data) == [], url


def test_punctuation_follows_the_active_language_and_escapes_values():
    with translation.override("zh-hans"):
        assert punctuation.bracketed("桐庐县") == "（桐庐县）"
        assert punctuation.join_list(["个人", "法人"]) == "个人、法人"
        assert catalog_punctuation.punct("colon") == "："
    with translation.override("en"):
        assert (punctuation.bracketed("桐庐县"), punctuation.join_list(["a", "b"])) == (" (桐庐县)", "a, b")
        assert catalog_punctuation.punct("colon") == ": "
        assert catalog_punctuation.bracketed("<b>") == " (&lt;b&gt;)"
        assert catalog_punctuation.join_clauses(["x", "<y>"]) == "x; &lt;y&gt;"

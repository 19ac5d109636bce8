"""Bulk maintenance pages: export download, upload with sniffing and size limit, report, valid rows, permissions."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tongban.catalog import transfer, views_transfer
from tongban.catalog.models import ImplementationItem, ItemVersion
from tongban.catalog.tests.transfer_fixtures import *  # noqa: F403 (fixtures and helpers)
from tongban.catalog.tests.transfer_fixtures import new_code
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

EXPORT = reverse("catalog_workbench:transfer_export")
IMPORT = reverse("catalog_workbench:transfer_import")
VALID_ROWS = reverse("catalog_workbench:transfer_import_valid_rows")
RESULT = reverse("catalog_workbench:transfer_result")


def signed_in(user, *, second_factor: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if second_factor:
        session = client.session
        session["second_factor_verified"] = True  # as views_staff sets it after the dynamic code
        session.save()
    return client


def written() -> tuple:
    return ImplementationItem.objects.count(), ItemVersion.objects.count(), AuditEntry.objects.count()


def upload(data: bytes, name: str = "catalog.json"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def spoiled_two_items(food, second_basic) -> tuple[bytes, str]:
    """The food licence (fine) and a copy as a new item whose 受理条件 is missing (item 2)."""
    document = json.loads(transfer.export_json([food]))
    copy = json.loads(json.dumps(document["items"][0]))
    copy["code"] = new_code(food.organisation, second_basic)
    copy["elements"]["acceptance_conditions"] = ""
    document["items"].append(copy)
    return json.dumps(document, ensure_ascii=False).encode(), copy["code"]


def test_export_offers_only_the_editors_organisations_and_downloads_json(food, people, county):
    client = signed_in(people["editor"])
    page = client.get(EXPORT)
    assert page.status_code == 200
    assert page.context["form"].fields["organisations"].queryset.get() == county["amr"]
    response = client.post(EXPORT, {"file_format": "json", "organisations": [county["amr"].pk]})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="catalog-')
    assert [record["code"] for record in json.loads(response.content)["items"]] == [food.code]


def test_export_downloads_excel(food, people, county):
    response = signed_in(people["editor"]).post(EXPORT, {"file_format": "xlsx", "organisations": [county["amr"].pk]})
    assert response["Content-Type"] == views_transfer.CONTENT_TYPES["xlsx"]
    assert response.content.startswith(b"PK\x03\x04")


def test_export_of_another_organisation_is_refused_by_the_form(food, people, county):
    response = signed_in(people["civil_editor"]).post(
        EXPORT, {"file_format": "json", "organisations": [county["amr"].pk]}
    )
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert response.context["form"].errors["organisations"]


def test_a_clean_file_is_imported_at_once_and_summarised(food, people, county):
    client = signed_in(people["editor"])
    data = transfer.export_json([food])
    response = client.post(IMPORT, {"organisation": county["amr"].pk, "upload": upload(data)})
    assert response.status_code == 302 and response["Location"] == RESULT
    assert food.versions.count() == 2
    page = client.get(RESULT)
    assert "新建事项 0 个，更新事项 1 个" in page.content.decode()


def test_a_file_with_errors_shows_the_report_and_the_valid_rows_can_be_imported(food, people, county, second_basic):
    client = signed_in(people["editor"])
    data, bad_code = spoiled_two_items(food, second_basic)
    before = written()
    report = client.post(IMPORT, {"organisation": county["amr"].pk, "upload": upload(data)})
    assert report.status_code == 200
    html = report.content.decode()
    assert "<td>items</td><td>2</td><td>受理条件</td><td>缺少必填要素“受理条件”</td>" in html
    assert "只导入无误的行" in html
    assert written() == before

    done = client.post(VALID_ROWS)
    assert done.status_code == 302 and done["Location"] == RESULT
    assert food.versions.count() == 2
    assert not ImplementationItem.objects.filter(code=bad_code).exists()
    page = client.get(RESULT).content.decode()
    assert "更新事项 1 个" in page and "有 1 个事项因错误未导入" in page
    assert views_transfer.PENDING not in client.session


def test_the_kept_file_is_used_once(food, people, county, second_basic):
    client = signed_in(people["editor"])
    data, _code = spoiled_two_items(food, second_basic)
    client.post(IMPORT, {"organisation": county["amr"].pk, "upload": upload(data)})
    client.post(VALID_ROWS)
    again = client.post(VALID_ROWS)
    assert again.status_code == 400
    assert "请重新上传" in again.content.decode()
    assert food.versions.count() == 2


def test_files_that_are_neither_json_nor_excel_or_too_large_are_refused(food, people, county):
    client = signed_in(people["editor"])
    before = written()
    wrong = client.post(IMPORT, {"organisation": county["amr"].pk, "upload": upload(b"code,name\n", "items.json")})
    assert wrong.status_code == 400
    assert wrong.context["form"].errors["upload"] == ["只能导入 JSON（.json）或 Excel（.xlsx）文件"]
    big = b"{" + b" " * views_transfer.MAX_UPLOAD_BYTES + b"}"
    large = client.post(IMPORT, {"organisation": county["amr"].pk, "upload": upload(big)})
    assert large.status_code == 400
    assert large.context["form"].errors["upload"] == ["文件不能超过 10 MB"]
    assert written() == before


def test_an_editor_of_another_organisation_cannot_import_into_it(food, people, county):
    client = signed_in(people["civil_editor"])
    before = written()
    response = client.post(IMPORT, {"organisation": county["amr"].pk, "upload": upload(transfer.export_json([food]))})
    assert response.status_code == 400
    assert response.context["form"].errors["organisation"]
    assert written() == before


@pytest.mark.parametrize("who", ["clerk", "reviewer"])
def test_staff_without_the_editor_role_are_refused(food, people, county, who):
    client = signed_in(people[who])
    before = written()
    assert client.get(IMPORT).status_code == 403
    assert client.get(EXPORT).status_code == 403
    response = client.post(IMPORT, {"organisation": county["amr"].pk, "upload": upload(transfer.export_json([food]))})
    assert response.status_code == 403
    assert written() == before


def test_the_second_factor_is_required(food, people):
    client = signed_in(people["editor"], second_factor=False)
    assert client.get(IMPORT).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_pages_render_for_an_editor(people):
    client = signed_in(people["editor"])
    for url in (EXPORT, IMPORT):
        page = client.get(url)
        assert page.status_code == 200
        assert 'aria-current="page"' in page.content.decode()
    assert client.get(RESULT)["Location"] == IMPORT

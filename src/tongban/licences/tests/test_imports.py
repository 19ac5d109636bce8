"""Historical import (纸质证照入库): the validation report names each bad row and column in Chinese; a file with errors
imports nothing unless the operator chooses the valid rows; imported licences are sealed, marked as imported,
audited and found by their holders; the management command does the same."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tongban.accounts.models import StaffRole
from tongban.accounts.tests.identity_fixtures import HAOWEIDAO, LI_ID
from tongban.catalog.tests.lifecycle_fixtures import staff
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry
from tongban.core.tests.identifiers import id_number
from tongban.licences import access, imports
from tongban.licences.errors import LicenceError
from tongban.licences.models import Licence, LicenceStatus, RenderStatus
from tongban.licences.tests.wallet_fixtures import *  # noqa: F403
from tongban.licences.verification import licence_seal_report

pytestmark = pytest.mark.django_db

HEADER = ["持证主体名称", "证件类型", "证件号码", "证照编号", "颁证日期", "有效期至", "经营项目", "经营场所", "备注"]
STRANGER_ID = id_number("330122", "19750101", "031")
BAD_ID = STRANGER_ID[:-1] + ("0" if STRANGER_ID[-1] != "0" else "1")


def good_rows() -> list[list[str]]:
    return [
        ["李建国", "居民身份证", LI_ID, "JY13301220000001", "2021-06-01", "2030-05-31", "热食类食品制售", "桐庐县迎春南路 1 号", ""],  # noqa: E501
        ["好味道餐饮有限公司", "统一社会信用代码", HAOWEIDAO, "JY13301220000002", "2022/3/15", "长期", "餐饮服务", "桐庐县迎春南路 2 号", "老店"],  # noqa: E501
        ["赵大海", "居民身份证", STRANGER_ID, "JY13301220000003", "2018年1月2日", "2022-12-31", "预包装食品销售", "桐庐县迎春南路 3 号", ""],  # noqa: E501
    ]  # fmt: skip


def bad_rows() -> list[list[str]]:
    return [
        ["", "居民身份证", BAD_ID, "JY13301220000009", "2021-02-30", "2020-01-01", "", "某地", ""],
        ["钱多多", "护照", "E12345678", "JY13301220000001", "2030-01-01", "不详", "零售", "某地", ""],
    ]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def approver(county):
    return staff("approver_import", (county["amr"], StaffRole.APPROVER))


def test_the_report_names_each_bad_row_and_column(licence_types):
    report = imports.import_check(
        licence_type=licence_types["food"], name="历史证照.csv", content=csv_bytes(good_rows() + bad_rows())
    )
    assert (report.total, len(report.rows), report.bad_rows) == (5, 3, [5, 6])
    problems = {(problem.row, problem.column): problem.message for problem in report.problems}
    assert problems == {
        (5, "持证主体名称"): "不能为空，且不超过 200 字",
        (5, "证件号码"): "居民身份证号码不正确（位数、出生日期或校验位有误）",
        (5, "颁证日期"): "不是有效的日期，请写作 2019-05-01",
        (5, "经营项目"): "经营项目不能为空",
        (6, "证件类型"): "应为“居民身份证”或“统一社会信用代码”",
        (6, "证照编号"): "与第 2 行的证照编号重复",
        (6, "颁证日期"): "不能晚于今天",
        (6, "有效期至"): "不是有效的日期，请写作 2024-04-30；长期有效请写“长期”或留空",
    }


def test_a_missing_required_column_is_reported_against_the_header(licence_types):
    header = [name for name in HEADER if name != "经营场所"]
    rows = [row[:7] + row[8:] for row in good_rows()]
    report = imports.import_check(licence_type=licence_types["food"], name="a.csv", content=csv_bytes(rows, header))
    assert [(p.row, p.column, p.message) for p in report.problems] == [(1, "经营场所", "缺少“经营场所”列")]
    assert report.rows == []


def test_a_file_with_errors_imports_nothing(licence_types, approver):
    content = csv_bytes(good_rows() + bad_rows())
    count, audits = Licence.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        imports.licences_import(actor=approver, licence_type=licence_types["food"], name="a.csv", content=content)
    assert refused.value.code is LicenceError.IMPORT_HAS_ERRORS
    assert (Licence.objects.count(), AuditEntry.objects.count()) == (count, audits)


def test_importing_the_valid_rows_seals_marks_and_links_them(
    licence_types, approver, applicants, django_capture_on_commit_callbacks
):
    content = csv_bytes(good_rows() + bad_rows(), encoding="gb18030")  # GBK-family files from old systems
    progress = []
    with django_capture_on_commit_callbacks(execute=True):
        report = imports.licences_import(
            actor=approver,
            licence_type=licence_types["food"],
            name="a.csv",
            content=content,
            valid_rows_only=True,
            progress=lambda done, total: progress.append((done, total)),
        )
    assert (len(report.imported), report.linked, report.bad_rows, progress) == (3, 2, [5, 6], [(3, 3)])
    li, firm, stranger = (Licence.objects.get(licence_number=f"JY1330122000000{n}") for n in (1, 2, 3))
    assert (li.holder, firm.holder, stranger.holder) == (applicants["li"], applicants["firm"], None)
    assert (li.imported, li.issued_on, li.valid_until, li.status) == (
        True,
        dt.date(2021, 6, 1),
        dt.date(2030, 5, 31),
        "valid",
    )
    assert (firm.valid_until, firm.fields["note"]) == (None, "老店")
    assert (stranger.issued_on, stranger.status) == (dt.date(2018, 1, 2), LicenceStatus.EXPIRED)
    assert li.serial == "2021000001" and li.identifier.endswith(".001." + li.identifier[-1])
    document = json.loads(bytes(li.data))
    assert (document["source"], document["licenceNumber"]) == ("历史数据导入", "JY13301220000001")
    assert document["holder"]["idNumber"] == LI_ID
    report_seal = licence_seal_report(li)
    assert (report_seal.signature_valid, report_seal.chain_valid) == (True, True)
    assert li.render_status == RenderStatus.DONE
    assert AuditEntry.objects.filter(action="licences.licence.import").count() == 3
    run = AuditEntry.objects.get(action="licences.import.run")
    assert (run.after["imported"], run.after["skipped_rows"], run.after["linked_accounts"]) == (3, [5, 6], 2)
    # The holders find them in their wallets.
    assert list(access.wallet_licences(applicants["li"], None)) == [li]


def test_an_account_verified_later_finds_its_imported_licence(licence_types, approver):
    from tongban.accounts.tests.identity_fixtures import registries

    imports.licences_import(
        actor=approver, licence_type=licence_types["food"], name="a.xlsx", content=xlsx_bytes(good_rows()[2:])
    )
    stranger_licence = Licence.objects.get(licence_number="JY13301220000003")
    assert stranger_licence.holder is None
    registries()
    from tongban.accounts.models import RealNameLevel, User

    account = User.objects.create_user(
        username="zhaodh", kind="person", real_name="赵大海", id_number=STRANGER_ID, real_name_level=RealNameLevel.L2
    )
    assert list(access.wallet_licences(account, None)) == [stranger_licence]


def test_an_excel_file_with_date_cells_imports(licence_types, approver):
    rows = good_rows()
    rows[0][4], rows[0][5] = dt.datetime(2021, 6, 1), dt.datetime(2030, 5, 31)
    report = imports.licences_import(
        actor=approver, licence_type=licence_types["food"], name="证照.xlsx", content=xlsx_bytes(rows)
    )
    assert len(report.imported) == 3
    assert Licence.objects.get(licence_number="JY13301220000001").valid_until == dt.date(2030, 5, 31)


def test_a_second_run_reports_the_rows_already_imported(licence_types, approver):
    content = csv_bytes(good_rows())
    imports.licences_import(actor=approver, licence_type=licence_types["food"], name="a.csv", content=content)
    report = imports.import_check(licence_type=licence_types["food"], name="a.csv", content=content)
    assert report.bad_rows == [2, 3, 4]
    assert {p.message for p in report.problems} == {"该编号的证照已在电子证照库中（可能已经导入过）"}
    with pytest.raises(DomainError) as refused:
        imports.licences_import(
            actor=approver, licence_type=licence_types["food"], name="a.csv", content=content, valid_rows_only=True
        )
    assert refused.value.code is LicenceError.IMPORT_EMPTY
    assert Licence.objects.count() == 3


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a workbook", b"\xff\xfe\x00garbage\x81"])
def test_an_unreadable_file_is_refused(licence_types, approver, content):
    with pytest.raises(DomainError) as refused:
        imports.licences_import(actor=approver, licence_type=licence_types["food"], name="x.csv", content=content)
    assert refused.value.code is LicenceError.IMPORT_FILE_INVALID
    assert Licence.objects.count() == 0


def test_staff_of_another_organisation_cannot_import(licence_types, county):
    other = staff("approver_civil_import", (county["civil"], StaffRole.APPROVER))
    audits = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        imports.licences_import(
            actor=other, licence_type=licence_types["food"], name="a.csv", content=csv_bytes(good_rows())
        )
    assert refused.value.code is LicenceError.NOT_ISSUER_STAFF
    assert (Licence.objects.count(), AuditEntry.objects.count()) == (0, audits)


def test_the_command_checks_and_imports(licence_types, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(good_rows() + bad_rows()))
    with pytest.raises(SystemExit) as exit_status:
        call_command("licence_import", "JY", str(bad), "--check")
    assert exit_status.value.code == 1
    out = capsys.readouterr().out
    assert "共 5 行，正确 3 行，有错误 2 行" in out and "第 6 行 · 证照编号：与第 2 行的证照编号重复" in out
    with pytest.raises(CommandError, match="未导入任何证照"):
        call_command("licence_import", "JY", str(bad))
    assert Licence.objects.count() == 0
    with pytest.raises(SystemExit):
        call_command("licence_import", "jy", str(bad), "--valid-rows-only")
    out = capsys.readouterr().out
    assert "已导入 3/3" in out and "导入完成：3 张证照，其中 0 张已关联持证人账号" in out
    assert Licence.objects.filter(imported=True).count() == 3
    with pytest.raises(CommandError, match="没有证照类型 XX"):
        call_command("licence_import", "XX", str(bad))


def test_the_import_page_reports_then_imports_the_valid_rows_on_request(licence_types, approver):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tongban.licences.tests.wallet_fixtures import client_for

    client, url = client_for(approver), reverse("licences-staff:import")
    page = client.get(url).content.decode()
    assert reverse("licences-staff:import_template", args=["JY"]) in page
    template = client.get(reverse("licences-staff:import_template", args=["JY"]))
    assert template.content.decode("utf-8-sig").strip() == ",".join(HEADER)
    upload = SimpleUploadedFile("历史证照.csv", csv_bytes(good_rows() + bad_rows()), content_type="text/csv")
    report = client.post(url, {"licence_type": licence_types["food"].pk, "file": upload})
    text = report.content.decode()
    assert report.status_code == 200 and "共 5 行：正确 3 行，有错误 2 行。" in text
    assert "<td>6</td><td>证照编号</td><td>与第 2 行的证照编号重复</td>" in text
    token = report.context["token"]
    form = {"token": token, "licence_type": licence_types["food"].pk, "file_name": "历史证照.csv"}
    refused = client.post(url, form)
    assert refused.status_code == 400 and "未导入任何证照" in refused.content.decode()
    assert Licence.objects.count() == 0
    done = client.post(url, {**form, "valid_rows_only": "on"})
    assert done.status_code == 200 and 'data-imported="3"' in done.content.decode()
    assert Licence.objects.filter(imported=True).count() == 3
    again = client.post(url, {**form, "valid_rows_only": "on"})  # the kept file is gone after the import
    assert again.status_code == 400 and "导入文件已失效，请重新上传" in again.content.decode()
    assert Licence.objects.count() == 3


def test_the_import_page_offers_nothing_to_another_organisations_staff(licence_types, county):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tongban.licences.tests.wallet_fixtures import client_for

    other = client_for(staff("approver_civil_page", (county["civil"], StaffRole.APPROVER)))
    url = reverse("licences-staff:import")
    assert "不能导入证照" in other.get(url).content.decode()
    upload = SimpleUploadedFile("a.csv", csv_bytes(good_rows()), content_type="text/csv")
    refused = other.post(url, {"licence_type": licence_types["food"].pk, "file": upload})
    assert refused.status_code == 400 and Licence.objects.count() == 0
    assert other.get(reverse("licences-staff:import_template", args=["JY"])).status_code == 404


def test_the_page_sends_a_big_file_to_the_command(licence_types, approver, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tongban.licences import views_staff
    from tongban.licences.tests.wallet_fixtures import client_for

    monkeypatch.setattr(views_staff, "PAGE_MAX_ROWS", 2)
    upload = SimpleUploadedFile("big.csv", csv_bytes(good_rows()), content_type="text/csv")
    response = client_for(approver).post(
        reverse("licences-staff:import"), {"licence_type": licence_types["food"].pk, "file": upload}
    )
    assert response.status_code == 400
    assert "页面上一次最多导入 2000 行；更大的文件请由系统管理员用 licence_import 命令导入" in response.content.decode()
    assert Licence.objects.count() == 0

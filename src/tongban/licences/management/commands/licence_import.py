"""manage.py licence_import TYPE_CODE FILE [--check] [--valid-rows-only]: enter paper-era licences into the library.

Reads an .xlsx or .csv file (first row: column names; see licences/imports.py), prints the validation report (every
bad row and column), and imports. A file with errors imports nothing unless --valid-rows-only is given; --check
only validates. Progress is printed after each chunk of rows. Exit status 0 when everything asked for was done,
1 when rows were refused or nothing was imported.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import DomainError
from tongban.licences.imports import ImportReport, import_check, licences_import
from tongban.licences.models import LicenceType


class Command(BaseCommand):
    help = "从 Excel/CSV 文件导入纸质证照（历史数据入库）"

    def add_arguments(self, parser):
        parser.add_argument("type_code", help="证照类型代码，例如 JY")
        parser.add_argument("file", help="导入文件（.xlsx 或 .csv）")
        parser.add_argument("--check", action="store_true", help="只校验，不导入")
        parser.add_argument("--valid-rows-only", action="store_true", help="文件有错误时只导入正确的行")

    def _problems(self, report: ImportReport) -> None:
        self.stdout.write(f"共 {report.total} 行，正确 {len(report.rows)} 行，有错误 {len(report.bad_rows)} 行")
        for problem in report.problems:
            self.stdout.write(f"  第 {problem.row} 行 · {problem.column}：{problem.message}")

    def handle(self, *args, type_code: str, file: str, check: bool, valid_rows_only: bool, **options):
        licence_type = LicenceType.objects.select_related("issuer").filter(code=type_code.strip().upper()).first()
        if licence_type is None:
            raise CommandError(f"没有证照类型 {type_code}")
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc}") from None
        try:
            report = import_check(licence_type=licence_type, name=path.name, content=content)
            self._problems(report)
            if check:
                raise SystemExit(1 if report.has_errors else 0)
            report = licences_import(
                actor=None,
                licence_type=licence_type,
                name=path.name,
                content=content,
                valid_rows_only=valid_rows_only,
                progress=lambda done, total: self.stdout.write(f"已导入 {done}/{total}"),
            )
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(
            self.style.SUCCESS(f"导入完成：{len(report.imported)} 张证照，其中 {report.linked} 张已关联持证人账号")
        )
        if report.has_errors:
            raise SystemExit(1)

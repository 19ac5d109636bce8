"""catalog_import: import a JSON or Excel file of items for one organisation as drafts, as a named editor.

Prints the validation report (sheet, row, field, message). Nothing is written from a file with errors unless
--valid-rows is given; the exit status is 1 when the report has errors.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.accounts.models import User
from tongban.catalog import transfer
from tongban.core.errors import DomainError
from tongban.core.models import Organisation


class Command(BaseCommand):
    help = "导入事项（JSON 或 Excel）为草稿，须指定实施主体和执行导入的事项编辑。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="要导入的 .json 或 .xlsx 文件")
        parser.add_argument("--organisation", required=True, metavar="USCC", help="实施主体的统一社会信用代码")
        parser.add_argument("--actor", required=True, metavar="USERNAME", help="执行导入的事项编辑（用户名）")
        parser.add_argument("--valid-rows", action="store_true", help="只导入无误的事项（其余列入报告）")

    def handle(self, *args, path: str, organisation: str, actor: str, valid_rows: bool, **options):
        unit = Organisation.objects.filter(uscc=organisation.upper()).first()
        if unit is None:
            raise CommandError(f"找不到机构：{organisation}")
        user = User.objects.filter(username=actor, is_active=True).first()
        if user is None:
            raise CommandError(f"找不到用户：{actor}")
        try:
            data = Path(path).read_bytes()
            report = transfer.import_file(actor=user, data=data, organisation=unit, import_valid_rows=valid_rows)
        except OSError as error:
            raise CommandError(f"无法读取文件：{error}") from error
        except DomainError as error:
            raise CommandError(error.message) from error
        for row_error in report.errors:
            where = f"{row_error.sheet} 第 {row_error.row} 行" if row_error.row else row_error.sheet
            self.stderr.write(f"{where}　{row_error.field}：{row_error.message}")
        if report.imported:
            self.stdout.write(
                f"已导入草稿：新建 {report.created} 个，更新 {report.updated} 个，未导入 {report.skipped} 个"
            )
        else:
            self.stdout.write(f"文件有 {len(report.errors)} 处错误，未导入任何内容")
        if report.errors:
            raise SystemExit(1)

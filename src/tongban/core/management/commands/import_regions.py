"""manage.py import_regions <file.csv>: upsert regions from a code,name CSV; one bad line and nothing is imported."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.core import services
from tongban.core.errors import DomainError


class Command(BaseCommand):
    help = "从 code,name 两列的 CSV 文件（UTF-8）导入行政区划；任何一行有误则不导入并列出错误行"

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV 文件路径")

    def handle(self, *args, path: str, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            entries = services.parse_region_csv(file.read_bytes())
            result = services.regions_import(actor=None, entries=entries, source=f"CSV {file.name}")
        except DomainError as error:
            lines = [error.message, *error.fields.get("rows", [])]
            raise CommandError("\n".join(str(line) for line in lines)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"导入完成：共 {result.total} 条，新增 {result.created} 条，更新 {result.updated} 条，"
                f"未变 {result.unchanged} 条，调整上级 {result.relinked} 条"
            )
        )

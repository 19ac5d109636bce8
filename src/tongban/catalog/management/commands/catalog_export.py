"""catalog_export: write the catalogue (published or latest version of each item) as JSON or Excel (transfer.py)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.catalog import transfer
from tongban.catalog.models import ImplementationItem
from tongban.core.models import Organisation


class Command(BaseCommand):
    help = "导出事项（JSON 格式 tongban.catalog/1 或 Excel），默认导出全部机构的事项。"

    def add_arguments(self, parser):
        parser.add_argument("output", help="输出文件路径；扩展名 .json 或 .xlsx 决定格式")
        parser.add_argument(
            "--organisation",
            action="append",
            default=[],
            metavar="USCC",
            help="只导出该机构（统一社会信用代码），可重复",
        )

    def handle(self, *args, output: str, organisation: list[str], **options):
        path = Path(output)
        kind = path.suffix.lower().lstrip(".")
        if kind not in ("json", "xlsx"):
            raise CommandError("输出文件的扩展名应为 .json 或 .xlsx")
        items = ImplementationItem.objects.all()
        if organisation:
            found = Organisation.objects.filter(uscc__in=[code.upper() for code in organisation])
            missing = sorted({code.upper() for code in organisation} - set(found.values_list("uscc", flat=True)))
            if missing:
                raise CommandError(f"找不到机构：{'、'.join(missing)}")
            items = items.filter(organisation__in=found)
        items = list(items)
        data = transfer.export_json(items) if kind == "json" else transfer.export_xlsx(items)
        path.write_bytes(data)
        self.stdout.write(f"已导出 {len(items)} 个事项到 {path}")

"""manage.py load_regions: load every province, city and county from python-stdnum's GB/T 2260 data (idempotent)."""

from django.core.management.base import BaseCommand

from tongban.core import services
from tongban.core.models import Region


class Command(BaseCommand):
    help = "从 python-stdnum 自带的 GB/T 2260 数据载入全部省、市、县级行政区划（已撤销的标记为失效），可重复执行"

    def handle(self, *args, **options):
        result = services.regions_load_stdnum(actor=None)
        active = Region.objects.filter(active=True, code__regex=r"^\d{6}$").count()
        self.stdout.write(
            self.style.SUCCESS(
                f"载入完成：共 {result.total} 条，新增 {result.created} 条，更新 {result.updated} 条，"
                f"未变 {result.unchanged} 条，调整上级 {result.relinked} 条；现行省市县级区划 {active} 个"
            )
        )

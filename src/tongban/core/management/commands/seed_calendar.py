"""manage.py seed_calendar [--force]: load statutory holidays and adjusted working days from chinesecalendar."""

from django.core.management.base import BaseCommand

from tongban.core import calendar


class Command(BaseCommand):
    help = "从 chinesecalendar 载入法定节假日和调休工作日；已载入的年份保留管理员的修改，除非指定 --force"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="用软件包数据覆盖已载入年份（管理员修改将丢失）")

    def handle(self, *args, force: bool = False, **options):
        result = calendar.seed_calendar(actor=None, force=force)
        self.stdout.write(self.style.SUCCESS(str(result)))
        missing = calendar.next_year_missing()
        if missing is not None:
            self.stdout.write(
                self.style.WARNING(
                    f"{missing} 年的节假日安排尚未载入：该年的工作日按仅周末休息临时计算，"
                    "国务院办公厅通知发布后请在管理后台录入。"
                )
            )

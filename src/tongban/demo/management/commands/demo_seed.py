"""Load the demo county (idempotent): `manage.py demo_seed`."""

from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import DomainError
from tongban.demo.seed import seed_demo


class Command(BaseCommand):
    help = "载入演示县：区划、机构、大厅窗口、工作人员、群众和企业账号（可重复执行）"

    def handle(self, *args, **options):
        try:
            seed_demo(say=self.stdout.write)
        except DomainError as error:
            raise CommandError(error.message) from None

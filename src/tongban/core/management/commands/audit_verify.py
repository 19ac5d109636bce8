"""`manage.py audit_verify`: check the audit log's hash chain end to end and its append-only triggers."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from tongban.core import audit


class Command(BaseCommand):
    help = "校验审计日志的哈希链（SM3）是否完整，以及禁止修改、删除的数据库触发器是否在位；发现问题时以非零状态退出。"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000, help="每批读取的记录数（内存占用与之成正比）")
        parser.add_argument(
            "--install-triggers", action="store_true", help="触发器缺失时重新安装（例如 SQLite 重建表之后）"
        )

    def handle(self, *args, batch_size: int, install_triggers: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须是正整数")
        if install_triggers:
            audit.create_triggers(connection)
        report = audit.check_chain(batch_size)
        if report.first_break is not None:
            raise CommandError(self._break_message(report))
        self.stdout.write(f"已校验 {report.checked} 条审计记录，哈希链完整。")
        if not audit.triggers_installed(connection):
            raise CommandError(
                "审计日志表的防篡改触发器缺失或被停用，记录可被修改或删除。"
                "请检查是谁移除了触发器，然后运行 `manage.py audit_verify --install-triggers` 重新安装。"
            )
        self.stdout.write("防篡改触发器在位。")

    @staticmethod
    def _break_message(report: audit.ChainReport) -> str:
        broken = report.first_break
        moment = timezone.localtime(broken.created_at).strftime("%Y-%m-%d %H:%M:%S")
        return (
            f"审计日志哈希链断裂：首个异常记录 #{broken.entry_id}（时间 {moment}，动作 {broken.action}）。"
            f"原因：{broken.reason}。此前 {report.checked} 条记录校验通过。"
        )

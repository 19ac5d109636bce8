"""manage.py rotate_data_key: re-encrypt personal data still under an older key with the active data key."""

from django.core.management.base import BaseCommand, CommandError

from tongban.core.key_rotation import data_key_rotate


class Command(BaseCommand):
    help = "把仍由旧密钥加密的个人数据用当前数据加密密钥（TONGBAN_DATA_KEYS 中的第一个）重新加密；可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="每批处理的记录数（默认 500）")
        parser.add_argument("--dry-run", action="store_true", help="只统计需要重新加密的记录，不写入")

    def handle(self, *args, batch_size: int, dry_run: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须是正整数")

        def progress(result, done):
            self.stdout.write(f"  {result.label}：已处理 {done}/{result.pending}")

        report = data_key_rotate(actor=None, batch_size=batch_size, dry_run=dry_run, progress=progress)
        self.stdout.write(f"当前数据加密密钥：{report.active_key_id}")
        for result in report.fields:
            old = "，".join(f"{key} {count} 条" for key, count in sorted(result.by_key.items())) or "无"
            verb = "需重新加密" if dry_run else "已重新加密"
            self.stdout.write(
                f"{result.label}：旧密钥数据 {old}；{verb} {result.pending if dry_run else result.rotated} 条"
            )
            if result.skipped_concurrent:
                self.stdout.write(f"  其中 {result.skipped_concurrent} 条在处理期间已被他人保存（已是新密钥），跳过")
            for pk, reason in result.failures:
                self.stderr.write(f"  无法解密：主键 {pk}（{reason}）")
        if report.failed:
            raise CommandError(
                f"有 {report.failed} 条数据无法解密，未作改动："
                "请确认其密钥仍在 TONGBAN_DATA_KEYS 中，或检查数据是否被篡改"
            )
        if dry_run:
            self.stdout.write(self.style.SUCCESS("试运行完成，未写入任何数据"))
        else:
            self.stdout.write(self.style.SUCCESS(f"完成：共重新加密 {report.rotated} 条，已写入审计日志"))

"""cases_generate: N submitted cases (办件) for the bench (A BENCH AND DEMO TOOL ONLY); see cases/bench_data.py.

Bulk inserts straight into the tables (COPY on PostgreSQL), bypassing the services: no audit rows, documents,
materials or notifications. Refused in production. A second run adds N more cases (applicants are reused).
"""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand, CommandError

from tongban.cases import bench_data
from tongban.config import CONFIG


class Command(BaseCommand):
    help = (
        "生成 N 件已提交的办件用于性能测试（仅限演示/开发环境；批量写入，绕过业务服务：不写审计日志、不出具文书、"
        "不发通知）。办件属于演示县面向自然人的已发布事项和批量生成的申请人（bench_p…），编号按事项和日期连续"
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="要生成的办件数")
        parser.add_argument(
            "--days", type=int, default=bench_data.DEFAULT_DAYS, help="分布在今天之前多少个自然日内（默认 1095）"
        )
        parser.add_argument("--applicants", type=int, default=None, help="申请人数（默认每 60 件一人，至少 50 人）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子")

    def handle(self, *args, cases: int, days: int, applicants: int | None, seed: int, **options):
        if CONFIG.production:
            raise CommandError("cases_generate 只用于演示和性能测试，生产环境拒绝执行")
        if cases <= 0 or days <= 0:
            raise CommandError("--cases 和 --days 必须大于 0")
        started = time.monotonic()
        try:
            created = bench_data.generate(
                cases,
                rng=random.Random(seed),  # noqa: S311 — generated test data, not secrets
                say=self.stdout.write,
                days=days,
                applicants=applicants,
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"已生成 {created} 件办件，用时 {elapsed:.0f} 秒"))

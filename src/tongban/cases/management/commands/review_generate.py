"""review_generate: cases in progress with process state and task rows for the bench (A BENCH AND DEMO TOOL ONLY);
see cases/bench_review.py. Run after cases_generate. Refused in production."""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand, CommandError

from tongban.cases import bench_review
from tongban.config import CONFIG


class Command(BaseCommand):
    help = (
        "使办理中（有流程运行状态）的办件达到 N 件，用于性能测试（仅限演示/开发环境；批量写入，绕过业务服务）："
        "已受理/办理中的生成办件补上流程状态和办理任务，不够时把最近办结（通过）的生成办件重新打开为办理中"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--in-progress", type=int, default=bench_review.DEFAULT_IN_PROGRESS, help="办理中办件总数（默认 100000）"
        )
        parser.add_argument("--seed", type=int, default=2026, help="随机种子")

    def handle(self, *args, in_progress: int, seed: int, **options):
        if CONFIG.production:
            raise CommandError("review_generate 只用于演示和性能测试，生产环境拒绝执行")
        if in_progress <= 0:
            raise CommandError("--in-progress 必须大于 0")
        started = time.monotonic()
        created = bench_review.generate(
            in_progress,
            rng=random.Random(seed),  # noqa: S311 — generated test data, not secrets
            say=self.stdout.write,
        )
        summary = bench_review.open_task_summary()
        self.stdout.write(
            self.style.SUCCESS(
                f"新增办理中办件 {created} 件，用时 {time.monotonic() - started:.0f} 秒；"
                f"待办任务 {summary['open']} 个，"
                f"其中已超期 {summary['overdue']} 个、已认领 {summary['claimed']} 个；最大的待办池（机构、岗位、件数）"
                f"{summary['largest_pool']}"
            )
        )

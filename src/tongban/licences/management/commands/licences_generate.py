"""licences_generate: issue N 食品经营许可证 of the demo county's market regulator for the bench (A BENCH AND DEMO TOOL
ONLY; refused in production). Run after demo_seed and licences_init.

Every licence goes through `services.licence_issue` (numbered, canonicalised, SM2-sealed, audited, its PDF queued in
the outbox), so the bench verifies real licences; the holders are generated people without accounts, as imported
licences are. Each licence's seal check is then stored as its first verification would store it, so the bench
measures the steady state. The PDFs are queued, not rendered: run with CELERY_BROKER_URL set (the bench's Redis) and
no worker, or each licence's PDF is rendered in-process after its batch commits (≈ 10 per second).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tongban.config import CONFIG
from tongban.licences import bench_data, selectors, services
from tongban.licences.verification import verification_store

BENCH_TYPE_CODE = "JY"
BATCH = 200


class Command(BaseCommand):
    help = "签发 N 张食品经营许可证（生成的持证人，无账号）并保存其签章核验结果，用于性能测试（仅限演示/开发环境）"

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=3000, help="签发张数（默认 3000）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子")

    def handle(self, *args, count: int, seed: int, **options):
        if CONFIG.production:
            raise CommandError("licences_generate 只用于演示和性能测试，生产环境拒绝执行")
        if count <= 0:
            raise CommandError("--count 必须大于 0")
        licence_type = bench_data.bench_licence_type(BENCH_TYPE_CODE)
        if selectors.seal_current(licence_type.issuer) is None:
            raise CommandError("颁证机构没有电子印章：请先运行 licences_init")
        started, issued = time.monotonic(), []
        for first in range(0, count, BATCH):
            with transaction.atomic():
                for index in range(first, min(first + BATCH, count)):
                    holder, fields = bench_data.holder_and_fields(index, seed)
                    issued.append(
                        services.licence_issue(actor=None, licence_type=licence_type, holder=holder, fields=fields)
                    )
            self.stdout.write(f"已签发 {len(issued)} / {count}")
        for licence in issued:
            verification_store(licence)
        elapsed = time.monotonic() - started
        done = f"签发并核验 {len(issued)} 张电子证照，用时 {elapsed:.1f} 秒（{len(issued) / elapsed:.1f} 张/秒）"
        self.stdout.write(self.style.SUCCESS(done))

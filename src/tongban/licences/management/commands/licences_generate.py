"""licences_generate: issue N 食品经营许可证 of the demo county's market regulator for the bench (A BENCH AND DEMO TOOL
ONLY; refused in production). Run after demo_seed and licences_init.

Every licence goes through `services.licence_issue` (numbered, canonicalised, SM2-sealed, audited, its PDF queued in
the outbox), so the bench verifies real licences; the holders are generated people without accounts, as imported
licences are. Each licence's seal check is then stored as its first verification would store it, so the bench
measures the steady state. The PDFs are queued, not rendered: run with CELERY_BROKER_URL set (the bench's Redis) and
no worker, or each licence's PDF is rendered in-process after its batch commits (≈ 10 per second).
"""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tongban.config import CONFIG
from tongban.core.models import Organisation
from tongban.demo.identifiers import resident_id
from tongban.licences import selectors, services
from tongban.licences.models import HolderIdType, LicenceType
from tongban.licences.verification import verification_store

BENCH_TYPE_CODE = "JY"
ISSUER_NAME = "桐庐县市场监督管理局"
DEMO_COUNTY = "330122"
BATCH = 200
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
SCOPES = ("预包装食品销售（含冷藏冷冻食品）", "热食类食品制售", "散装食品销售", "冷食类食品制售")
FIELDS = [
    {"name": "business_scope", "label": "经营项目", "required": True},
    {"name": "premises", "label": "经营场所", "required": True},
    {"name": "note", "label": "备注", "public": False},
]


def bench_licence_type() -> LicenceType:
    """The demo county market regulator's 食品经营许可证 (made once; CommandError before demo_seed)."""
    issuer = Organisation.objects.filter(name=ISSUER_NAME).first()
    if issuer is None:
        raise CommandError(f"没有{ISSUER_NAME}：请先运行 demo_seed")
    licence_type, _created = LicenceType.objects.get_or_create(
        code=BENCH_TYPE_CODE,
        defaults={
            "name": "食品经营许可证",
            "issuer": issuer,
            "validity_years": 5,
            "field_definitions": FIELDS,
            "layout": {"title": "食品经营许可证", "subtitle": "（电子证照）"},
        },
    )
    return licence_type


def _holder(index: int, rng: random.Random) -> services.Holder:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    birth = f"{1960 + index % 40:04d}{1 + index % 12:02d}{1 + index % 28:02d}"
    id_number = resident_id(DEMO_COUNTY, birth, 100 + index // 480 % 400, female=bool(index % 2))
    return services.Holder(name=name, id_type=HolderIdType.RESIDENT_ID, id_number=id_number)


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
        licence_type = bench_licence_type()
        if selectors.seal_current(licence_type.issuer) is None:
            raise CommandError("颁证机构没有电子印章：请先运行 licences_init")
        rng = random.Random(seed)  # noqa: S311 — generated test data, not secrets
        started, issued = time.monotonic(), []
        for first in range(0, count, BATCH):
            with transaction.atomic():
                for index in range(first, min(first + BATCH, count)):
                    premises = f"桐庐县城南街道迎春南路 {index + 1} 号"
                    fields = {"business_scope": rng.choice(SCOPES), "premises": premises}
                    issued.append(
                        services.licence_issue(
                            actor=None, licence_type=licence_type, holder=_holder(index, rng), fields=fields
                        )
                    )
            self.stdout.write(f"已签发 {len(issued)} / {count}")
        for licence in issued:
            verification_store(licence)
        elapsed = time.monotonic() - started
        done = f"签发并核验 {len(issued)} 张电子证照，用时 {elapsed:.1f} 秒（{len(issued) / elapsed:.1f} 张/秒）"
        self.stdout.write(self.style.SUCCESS(done))

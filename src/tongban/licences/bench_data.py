"""Generated licences for the benches (A BENCH AND DEMO TOOL ONLY): the demo county market regulator's
食品经营许可证 types and generated holders, shared by `licences_generate` (verification bench) and `licence_bench`
(issuing bench)."""

from __future__ import annotations

import random

from django.core.management.base import CommandError

from tongban.core.models import Organisation
from tongban.demo.identifiers import resident_id
from tongban.licences import services
from tongban.licences.models import HolderIdType, LicenceType

ISSUER_NAME = "桐庐县市场监督管理局"
HOLDER_REGION = "330122"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高欧阳诸葛"
# Given-name characters, a few of them rare (outside GB 2312): holders' names are what varies most between licences.
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂喆堃昇玥䶮燊淼鑫"
SCOPES = ("预包装食品销售（含冷藏冷冻食品）", "热食类食品制售", "散装食品销售", "冷食类食品制售")
STREETS = ("城南街道迎春南路", "桐君街道学圣路", "旧县街道富春路", "横村镇横村大道")
FIELDS = [
    {"name": "business_scope", "label": "经营项目", "required": True},
    {"name": "premises", "label": "经营场所", "required": True},
    {"name": "note", "label": "备注", "public": False},  # never filled: verification must not show it
]


def bench_licence_type(code: str) -> LicenceType:
    """The regulator's 食品经营许可证 type with this code (made once; CommandError before demo_seed)."""
    issuer = Organisation.objects.filter(name=ISSUER_NAME, active=True).first()
    if issuer is None:
        raise CommandError(f"没有{ISSUER_NAME}：请先运行 demo_seed")
    licence_type, _created = LicenceType.objects.get_or_create(
        code=code,
        defaults={
            "name": "食品经营许可证",
            "issuer": issuer,
            "validity_years": 5,
            "field_definitions": FIELDS,
            "layout": {"title": "食品经营许可证", "subtitle": "（电子证照）"},
        },
    )
    return licence_type


def holder_and_fields(index: int, seed: int) -> tuple[services.Holder, dict]:
    """The index-th generated holder (a person without an account, as imported licences have) and the fields."""
    rng = random.Random(seed * 1_000_003 + index)  # noqa: S311 — generated bench data, not secrets
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    birth = f"{1960 + index % 40:04d}{1 + index % 12:02d}{1 + index % 28:02d}"
    id_number = resident_id(HOLDER_REGION, birth, index // 480 % 500, female=bool(index % 2))
    holder = services.Holder(name=name, id_type=HolderIdType.RESIDENT_ID, id_number=id_number)
    premises = f"桐庐县{rng.choice(STREETS)} {1 + index % 300} 号"
    return holder, {"business_scope": rng.choice(SCOPES), "premises": premises}

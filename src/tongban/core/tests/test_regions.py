import pytest
from django.core.management import CommandError, call_command

from tongban.core import services
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry, Region, RegionLevel


def _csv(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "regions.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def _tree() -> dict[str, tuple[str | None, int, str, bool]]:
    return {r.code: (r.parent.code if r.parent else None, r.level, r.name, r.active) for r in Region.objects.all()}


# ------------------------------------------------------------------ codes


@pytest.mark.parametrize(
    ("code", "level", "ancestors"),
    [
        ("330000", RegionLevel.PROVINCE, []),
        ("330100", RegionLevel.CITY, ["330000"]),
        ("330106", RegionLevel.COUNTY, ["330100", "330000"]),
        ("330106001", RegionLevel.TOWN, ["330106", "330100", "330000"]),
        ("330106001002", RegionLevel.VILLAGE, ["330106001", "330106", "330100", "330000"]),
        ("110101", RegionLevel.COUNTY, ["110100", "110000"]),
    ],
)
def test_level_and_ancestors_follow_from_the_code(code, level, ancestors):
    assert Region.level_for_code(code) == level
    assert Region.ancestor_codes(code) == ancestors


# ------------------------------------------------------------------ single writes


@pytest.mark.django_db
def test_create_derives_parent_from_longest_existing_prefix_and_relinks_later_levels():
    services.region_create(actor=None, code="110000", name="北京市")
    services.region_create(actor=None, code="110101", name="东城区")  # municipality: no 110100 yet
    assert _tree()["110101"] == ("110000", RegionLevel.COUNTY, "东城区", True)
    services.region_create(actor=None, code="110101001", name="东华门街道")
    services.region_create(actor=None, code="110100", name="市辖区")
    assert _tree() == {
        "110000": (None, RegionLevel.PROVINCE, "北京市", True),
        "110100": ("110000", RegionLevel.CITY, "市辖区", True),
        "110101": ("110100", RegionLevel.COUNTY, "东城区", True),
        "110101001": ("110101", RegionLevel.TOWN, "东华门街道", True),
    }
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.object_repr) == ("region.create", "市辖区（110100）")
    assert entry.after["code"] == "110100" and entry.after["parent_id"] == Region.objects.get(code="110000").pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "name", "fields"),
    [
        ("11000", "北京市", {"code": ["区划代码“11000”应为 6、9 或 12 位数字"]}),
        ("001000", "某地", {"code": ["区划代码“001000”的前两位（省级代码）不能为 00"]}),
        ("110101000", "某街道", {"code": ["区划代码“110101000”的第 7 至 9 位（乡镇/街道代码）不能为 000"]}),
        ("110101001000", "某社区", {"code": ["区划代码“110101001000”的最后三位（村/社区代码）不能为 000"]}),
        ("110000", "", {"name": ["名称不能为空"]}),
        ("110000", "北" * 101, {"name": ["名称不能超过 100 个字"]}),
    ],
)
def test_create_rejects_bad_input_and_changes_nothing(code, name, fields):
    with pytest.raises(DomainError) as caught:
        services.region_create(actor=None, code=code, name=name)
    assert caught.value.code.code == "core.invalid_input"
    assert caught.value.fields == fields
    assert (Region.objects.count(), AuditEntry.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_create_refuses_a_duplicate_code():
    services.region_create(actor=None, code="110000", name="北京市")
    with pytest.raises(DomainError) as caught:
        services.region_create(actor=None, code="110000", name="北京")
    assert caught.value.fields == {"code": ["区划代码 110000 已存在"]}
    assert Region.objects.get().name == "北京市"


@pytest.mark.django_db
def test_update_renames_and_abolishes_with_audit_and_skips_no_op():
    region = services.region_create(actor=None, code="110103", name="崇文区")
    services.region_update(actor=None, region=region, name=" 崇文区 ")
    assert AuditEntry.objects.filter(action="region.update").count() == 0
    services.region_update(actor=None, region=region, active=False)
    entry = AuditEntry.objects.get(action="region.update")
    assert (entry.before, entry.after) == ({"name": "崇文区", "active": True}, {"name": "崇文区", "active": False})
    assert Region.objects.get(code="110103").active is False


# ------------------------------------------------------------------ CSV import


@pytest.mark.django_db
def test_import_csv_with_bom_and_header_then_idempotent_and_updates(tmp_path, capsys):
    path = _csv(
        tmp_path,
        "\ufeff区划代码,名称\n330000,浙江省\n330100,杭州市\n330106,西湖区\n\n330106001,北山街道\n330106001001,曙光社区\n",
    )
    call_command("import_regions", path)
    assert capsys.readouterr().out.strip() == "导入完成：共 5 条，新增 5 条，更新 0 条，未变 0 条，调整上级 4 条"
    assert _tree()["330106001001"] == ("330106001", RegionLevel.VILLAGE, "曙光社区", True)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_repr, entry.after["created"]) == ("region.import", "CSV regions.csv", 5)

    call_command("import_regions", path)
    assert capsys.readouterr().out.strip() == "导入完成：共 5 条，新增 0 条，更新 0 条，未变 5 条，调整上级 0 条"

    call_command("import_regions", _csv(tmp_path, "330106,西湖区（新）\n"))
    assert capsys.readouterr().out.strip() == "导入完成：共 1 条，新增 0 条，更新 1 条，未变 0 条，调整上级 0 条"
    last = AuditEntry.objects.order_by("-id").first()
    assert last.after["changes"] == [{"code": "330106", "name": ["西湖区", "西湖区（新）"], "active": [True, True]}]
    assert AuditEntry.objects.count() == 3


@pytest.mark.django_db
def test_import_csv_lists_every_bad_line_and_imports_nothing(tmp_path):
    path = _csv(
        tmp_path,
        "code,name\n"
        "330000,浙江省\n"  # line 2: fine
        "33010,杭州市\n"  # line 3
        "330106\n"  # line 4
        "330106001,\n"  # line 5
        "330000,浙江\n"  # line 6: duplicate of line 2
        "330106002,北山街道,多余\n",  # line 7
    )
    with pytest.raises(CommandError) as caught:
        call_command("import_regions", path)
    assert str(caught.value).splitlines() == [
        "行政区划文件有误，未导入任何数据",
        "第 3 行：区划代码“33010”应为 6、9 或 12 位数字",
        "第 4 行：每行应为两列：区划代码,名称",
        "第 5 行：名称不能为空",
        "第 6 行：区划代码 330000 与第 2 行重复",
        "第 7 行：每行应为两列：区划代码,名称",
    ]
    assert (Region.objects.count(), AuditEntry.objects.count()) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("330000,浙江省\n", "gbk", "文件不是 UTF-8 编码（如为 GBK 编码，请另存为 UTF-8 后重试），未导入任何数据"),
        ("代码,名称\n\n", "utf-8", "文件中没有数据行，未导入任何数据"),
        ("", "utf-8", "文件中没有数据行，未导入任何数据"),
    ],
)
def test_import_csv_unreadable_files(tmp_path, content, encoding, message):
    with pytest.raises(CommandError) as caught:
        call_command("import_regions", _csv(tmp_path, content, encoding))
    assert str(caught.value) == message
    assert Region.objects.count() == 0


def test_import_csv_missing_file(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import_regions", str(tmp_path / "nope.csv"))
    assert str(caught.value) == f"找不到文件：{tmp_path / 'nope.csv'}"


@pytest.mark.django_db
def test_bulk_import_service_rejects_bad_entries_without_writing():
    with pytest.raises(DomainError) as caught:
        services.regions_import(
            actor=None,
            entries=[services.RegionEntry("330000", "浙江省"), services.RegionEntry("3300", "x")],
            source="t",
        )
    assert caught.value.fields == {"rows": ["区划代码“3300”应为 6、9 或 12 位数字"]}
    assert Region.objects.count() == 0


# ------------------------------------------------------------------ python-stdnum data


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("北京市", ("北京市", True)),
        ("[-2010]崇文区", ("崇文区", False)),
        ("[1986-]房山区", ("房山区", True)),
        ("[1983-2019]桥东区", ("桥东区", False)),
        ("[-1991]东郊区,[1992-]东丽区", ("东丽区", True)),
        ("[1983-1994]东矿区,[1995-2003]古冶区", ("古冶区", False)),
    ],
)
def test_stdnum_names(raw, expected):
    assert services.parse_stdnum_name(raw) == expected


@pytest.mark.django_db
def test_load_regions_from_stdnum_is_idempotent(capsys):
    entries = services.stdnum_region_entries()
    current = sum(1 for e in entries if e.active)
    call_command("load_regions")
    first = capsys.readouterr().out.strip()
    assert first.startswith(f"载入完成：共 {len(entries)} 条，新增 {len(entries)} 条，更新 0 条，未变 0 条")
    assert first.endswith(f"现行省市县级区划 {current} 个")
    tree = _tree()
    assert tree["110000"] == (None, RegionLevel.PROVINCE, "北京市", True)
    assert tree["110103"] == ("110100", RegionLevel.COUNTY, "崇文区", False)
    assert tree["110111"] == ("110100", RegionLevel.COUNTY, "房山区", True)
    assert tree["120110"] == ("120100", RegionLevel.COUNTY, "东丽区", True)
    assert tree["330106"] == ("330100", RegionLevel.COUNTY, "西湖区", True)
    assert tree["429004"] == ("429000", RegionLevel.COUNTY, "仙桃市", True)
    assert tree["810000"] == (None, RegionLevel.PROVINCE, "香港特别行政区", True)
    assert Region.objects.count() == len(entries) == len({e.code for e in entries})

    call_command("load_regions")
    assert capsys.readouterr().out.strip() == (
        f"载入完成：共 {len(entries)} 条，新增 0 条，更新 0 条，未变 {len(entries)} 条，调整上级 0 条；"
        f"现行省市县级区划 {current} 个"
    )
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["region.load_stdnum", "region.load_stdnum"]

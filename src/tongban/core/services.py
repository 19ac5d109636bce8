"""Writes of foundation data: regions (single and bulk), organisations and hall windows. Every write is audited."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tongban.core import audit
from tongban.core.errors import CoreError, DomainError
from tongban.core.models import HallWindow, Organisation, Region
from tongban.core.validators import normalize_uscc

REGION_NAME_MAX = Region._meta.get_field("name").max_length
# Audit rows of bulk loads list individual changes only up to this many; the counts are always complete.
_AUDIT_CHANGE_LIMIT = 200
_BATCH = 500


def _fields_of(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


def _invalid(error: ValidationError) -> DomainError:
    return DomainError(CoreError.INVALID_INPUT, fields=_fields_of(error))


# ---------------------------------------------------------------------------------------------------------------
# Regions


def region_code_problem(code: str) -> str | None:
    """Why `code` is not a usable GB/T 2260 code (Chinese), or None when it is."""
    if not (code.isascii() and code.isdigit() and len(code) in (6, 9, 12)):
        return _("区划代码“%(code)s”应为 6、9 或 12 位数字") % {"code": code}
    if code[:2] == "00":
        return _("区划代码“%(code)s”的前两位（省级代码）不能为 00") % {"code": code}
    if len(code) >= 9 and code[6:9] == "000":
        return _("区划代码“%(code)s”的第 7 至 9 位（乡镇/街道代码）不能为 000") % {"code": code}
    if len(code) == 12 and code[9:] == "000":
        return _("区划代码“%(code)s”的最后三位（村/社区代码）不能为 000") % {"code": code}
    return None


def region_name_problem(name: str) -> str | None:
    if not name:
        return _("名称不能为空")
    if len(name) > REGION_NAME_MAX:
        return _("名称不能超过 %(max)d 个字") % {"max": REGION_NAME_MAX}
    return None


@dataclass(frozen=True)
class RegionEntry:
    """One region to upsert: code, name and whether it is current."""

    code: str
    name: str
    active: bool = True


@dataclass
class RegionImportResult:
    """What a bulk region load did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    relinked: int = 0
    changes: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _province_prefix_filter(codes: Iterable[str]) -> Q:
    query = Q()
    for prefix in sorted({code[:2] for code in codes}):
        query |= Q(code__startswith=prefix)
    return query


def _relink_parents(codes: Iterable[str]) -> int:
    """Point every region in the provinces of `codes` at its nearest existing ancestor; return how many moved.

    Done over whole provinces because loading a level in between (a city between province and county) changes the
    parent of regions that were not in the file.
    """
    rows = list(Region.objects.filter(_province_prefix_filter(codes)).values_list("id", "code", "parent_id"))
    id_by_code = {code: pk for pk, code, _parent in rows}
    moved = []
    for pk, code, parent_id in rows:
        wanted = next((id_by_code[c] for c in Region.ancestor_codes(code) if c in id_by_code), None)
        if wanted != parent_id:
            moved.append(Region(id=pk, parent_id=wanted))
    Region.objects.bulk_update(moved, ["parent"], batch_size=_BATCH)
    return len(moved)


def _upsert_regions(entries: list[RegionEntry]) -> RegionImportResult:
    result = RegionImportResult()
    existing = {r.code: r for r in Region.objects.filter(_province_prefix_filter(e.code for e in entries))}
    to_create, to_update = [], []
    for entry in sorted(entries, key=lambda e: (len(e.code), e.code)):
        current = existing.get(entry.code)
        if current is None:
            level = Region.level_for_code(entry.code)
            to_create.append(Region(code=entry.code, name=entry.name, level=level, active=entry.active))
            continue
        if (current.name, current.active) == (entry.name, entry.active):
            result.unchanged += 1
            continue
        if len(result.changes) < _AUDIT_CHANGE_LIMIT:
            result.changes.append(
                {"code": entry.code, "name": [current.name, entry.name], "active": [current.active, entry.active]}
            )
        current.name, current.active = entry.name, entry.active
        to_update.append(current)
    Region.objects.bulk_create(to_create, batch_size=_BATCH)
    Region.objects.bulk_update(to_update, ["name", "active"], batch_size=_BATCH)
    result.created, result.updated = len(to_create), len(to_update)
    result.relinked = _relink_parents(e.code for e in entries)
    return result


def _record_bulk(*, actor, action: str, source: str, result: RegionImportResult) -> None:
    audit.record(
        actor=actor,
        action=action,
        object_type="core.region",
        object_repr=source[:300],
        after={
            "source": source,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "relinked": result.relinked,
            "changes": result.changes,
            "changes_truncated": result.updated > len(result.changes),
        },
    )


def parse_region_csv(data: bytes) -> list[RegionEntry]:
    """Parse a `code,name` CSV (UTF-8, optional BOM, optional header) or raise listing every bad line in Chinese.

    Nothing is written here; the caller imports the rows only when the whole file is valid.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(
            CoreError.INVALID_REGION_FILE,
            _("文件不是 UTF-8 编码（如为 GBK 编码，请另存为 UTF-8 后重试），未导入任何数据"),
        ) from None
    problems: list[str] = []
    entries: list[RegionEntry] = []
    first_line: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not entries and not problems and not first_line and not re.search(r"\d", cells[0]):
            continue  # a header such as "code,name" or "区划代码,名称"
        problem = _row_problem(cells, first_line)
        if problem:
            problems.append(_("第 %(line)d 行：%(problem)s") % {"line": line, "problem": problem})
        else:
            entries.append(RegionEntry(code=cells[0], name=cells[1]))
        if cells[0] and cells[0] not in first_line:
            first_line[cells[0]] = line
    if problems:
        raise DomainError(CoreError.INVALID_REGION_FILE, fields={"rows": problems})
    if not entries:
        raise DomainError(CoreError.INVALID_REGION_FILE, _("文件中没有数据行，未导入任何数据"))
    return entries


def _row_problem(cells: list[str], first_line: dict[str, int]) -> str | None:
    if len(cells) < 2 or any(cells[2:]):
        return _("每行应为两列：区划代码,名称")
    code, name = cells[0], cells[1]
    problem = region_code_problem(code) or region_name_problem(name)
    if problem:
        return problem
    if code in first_line:
        return _("区划代码 %(code)s 与第 %(line)d 行重复") % {"code": code, "line": first_line[code]}
    return None


@transaction.atomic
def regions_import(*, actor, entries: list[RegionEntry], source: str) -> RegionImportResult:
    """Upsert regions (name and active by code), derive levels and parents, and write one summary audit row."""
    problems = [p for e in entries if (p := region_code_problem(e.code) or region_name_problem(e.name))]
    if problems:
        raise DomainError(CoreError.INVALID_REGION_FILE, fields={"rows": problems})
    result = _upsert_regions(entries)
    _record_bulk(actor=actor, action="region.import", source=source, result=result)
    return result


# "[1986-]房山区", "[-2010]崇文区", "[1983-2019]桥东区", or a plain name; renamed codes list several, oldest first.
_STDNUM_NAME = re.compile(r"^\[(?P<start>\d{4})?-(?P<end>\d{4})?\](?P<name>.*)$")


def parse_stdnum_name(raw: str) -> tuple[str, bool]:
    """The current name of a python-stdnum location entry and whether the code is still in use."""
    latest = re.split(r",(?=\[)", raw)[-1].strip()
    match = _STDNUM_NAME.match(latest)
    if match is None:
        return latest, True
    return match["name"].strip(), match["end"] is None


def stdnum_region_entries() -> list[RegionEntry]:
    """Every province, city and county code in python-stdnum's GB/T 2260 data (stdnum/cn/loc.dat)."""
    from stdnum import numdb

    entries = []
    for _length, province, _high, province_props, counties in numdb.get("cn/loc").prefixes:
        names = {suffix: props.get("county", "") for _l, suffix, _h, props, _sub in counties}
        if "0000" not in names:
            names["0000"] = province_props.get("province", "")
        for suffix, raw in names.items():
            name, active = parse_stdnum_name(raw)
            entries.append(RegionEntry(code=province + suffix, name=name, active=active))
    return entries


@transaction.atomic
def regions_load_stdnum(*, actor) -> RegionImportResult:
    """Load (idempotently) every province, city and county shipped with python-stdnum; abolished ones inactive."""
    import stdnum

    result = _upsert_regions(stdnum_region_entries())
    source = f"python-stdnum {stdnum.__version__} cn/loc.dat"
    _record_bulk(actor=actor, action="region.load_stdnum", source=source, result=result)
    return result


@transaction.atomic
def region_create(*, actor, code: str, name: str, active: bool = True) -> Region:
    """Add one region; its level and parent follow from the code, and existing descendants are re-linked to it."""
    code, name = code.strip(), name.strip()
    problem = region_code_problem(code)
    if problem is None and Region.objects.filter(code=code).exists():
        problem = _("区划代码 %(code)s 已存在") % {"code": code}
    fields = {key: [msg] for key, msg in (("code", problem), ("name", region_name_problem(name))) if msg}
    if fields:
        raise DomainError(CoreError.INVALID_INPUT, fields=fields)
    region = Region.objects.create(code=code, name=name, level=Region.level_for_code(code), active=active)
    _relink_parents([code])
    region.refresh_from_db()
    audit.record(actor=actor, action="region.create", obj=region, after=audit.snapshot(region))
    return region


@transaction.atomic
def region_update(*, actor, region: Region, name: str | None = None, active: bool | None = None) -> Region:
    """Rename a region or mark it abolished/current. The code (and so level and parent) never changes."""
    region = Region.objects.select_for_update().get(pk=region.pk)
    before = audit.snapshot(region, ["name", "active"])
    if name is not None:
        name = name.strip()
        problem = region_name_problem(name)
        if problem:
            raise DomainError(CoreError.INVALID_INPUT, fields={"name": [problem]})
        region.name = name
    if active is not None:
        region.active = active
    after = audit.snapshot(region, ["name", "active"])
    if after == before:
        return region
    region.save(update_fields=["name", "active"])
    audit.record(actor=actor, action="region.update", obj=region, before=before, after=after)
    return region


# ---------------------------------------------------------------------------------------------------------------
# Organisations and hall windows

ORGANISATION_EDITABLE = (
    "name",
    "short_name",
    "uscc",
    "kind",
    "region",
    "parent",
    "phone",
    "address",
    "opening_hours",
    "active",
)


def _check_region_current(region: Region | None) -> None:
    # Read from the database: the caller's object may predate the region's abolition.
    if region is not None and not Region.objects.filter(pk=region.pk, active=True).exists():
        raise DomainError(CoreError.INVALID_INPUT, fields={"region": [_("所选行政区划已撤销，不能选用")]})


def _clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as error:
        raise _invalid(error) from None


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    uscc: str,
    kind: str,
    region: Region,
    parent: Organisation | None = None,
    short_name: str = "",
    phone: str = "",
    address: str = "",
    opening_hours: str = "",
    active: bool = True,
) -> Organisation:
    """Register a department, hall, town office or village station; the credit code is stored normalised."""
    _check_region_current(region)
    organisation = Organisation(
        name=name.strip(),
        short_name=short_name.strip(),
        uscc=normalize_uscc(uscc),
        kind=kind,
        region=region,
        parent=parent,
        phone=phone.strip(),
        address=address.strip(),
        opening_hours=opening_hours.strip(),
        active=active,
    )
    _clean(organisation)
    organisation.save(force_insert=True)
    audit.record(actor=actor, action="organisation.create", obj=organisation, after=audit.snapshot(organisation))
    return organisation


def _organisation_values(organisation: Organisation) -> dict:
    return {name: getattr(organisation, organisation._meta.get_field(name).attname) for name in ORGANISATION_EDITABLE}


@transaction.atomic
def organisation_update(*, actor, organisation: Organisation, **changes) -> Organisation:
    """Change some of ORGANISATION_EDITABLE; audited with the changed fields' before/after. No change, no row."""
    unknown = set(changes) - set(ORGANISATION_EDITABLE)
    if unknown:
        raise TypeError(f"organisation_update() got fields it cannot change: {sorted(unknown)}")
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = _organisation_values(organisation)
    if "uscc" in changes:
        changes["uscc"] = normalize_uscc(changes["uscc"])
    for name, value in changes.items():
        setattr(organisation, name, value.strip() if isinstance(value, str) else value)
    after = _organisation_values(organisation)
    changed = [name for name in ORGANISATION_EDITABLE if before[name] != after[name]]
    if not changed:
        return organisation
    if "region" in changed:
        _check_region_current(organisation.region)
    _clean(organisation)
    organisation.save(update_fields=changed)
    audit.record(
        actor=actor,
        action="organisation.update",
        obj=organisation,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return organisation


@transaction.atomic
def hall_window_create(
    *, actor, hall: Organisation, number: str, name: str, kind: str, active: bool = True
) -> HallWindow:
    """Open a numbered window in a service hall, town office or village station."""
    window = HallWindow(hall=hall, number=number.strip(), name=name.strip(), kind=kind, active=active)
    _clean(window)
    window.save(force_insert=True)
    audit.record(actor=actor, action="hall_window.create", obj=window, after=audit.snapshot(window))
    return window

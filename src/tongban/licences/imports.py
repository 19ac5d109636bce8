"""Historical import (纸质证照入库): paper-era licences of one licence type from an Excel (.xlsx) or CSV file.

The file's first row names the columns (the Chinese labels below, or the internal names); each further row is one
licence: the holder's name, ID type and number (checked with python-stdnum: GB 11643 resident ID, GB 32100 USCC),
the number printed on the paper licence, the issue date, the last day of validity (empty or 长期 = long-term) and
the licence type's own fields (by label or name).

`import_check` reads and validates the whole file and returns a report naming every bad row and column in Chinese.
`licences_import` imports: nothing at all when the report has errors, unless the operator chose to import only the
valid rows. Each imported licence gets its identifier like an issued one, carries its paper number and the source
"历史数据导入" in the sealed data, is sealed, rendered and audited through `services.licence_store`, and is linked to
its holder's account when a verified account with that ID (blind index) exists; otherwise `access.held_by` finds it
for the holder once they verify. Rows are written in chunks, one transaction each, with a progress callback; a
re-run finds rows already imported (same paper number) and reports them as duplicates instead of importing twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc

from tongban.accounts.models import RealNameLevel, User, UserKind
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.pii import blind_index
from tongban.licences import services
from tongban.licences.errors import LicenceError
from tongban.licences.identifier import LicenceIdentifier
from tongban.licences.lifecycle import require_manager
from tongban.licences.models import HolderIdType, Licence, LicenceStatus, LicenceType

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
CHUNK = 200  # rows per transaction: a failure keeps what was done, and a re-run reports those rows as duplicates

# (column key, the header operators write, other accepted headers)
BASE_COLUMNS = (
    ("holder_name", "持证主体名称", ("持证主体", "holder_name")),
    ("id_type", "证件类型", ("持证主体证件类型", "id_type")),
    ("id_number", "证件号码", ("持证主体证件号码", "id_number")),
    ("licence_number", "证照编号", ("原证号", "licence_number")),
    ("issued_on", "颁证日期", ("发证日期", "issued_on")),
    ("valid_until", "有效期至", ("有效期截止", "valid_until")),
)
ID_TYPES = {
    "居民身份证": HolderIdType.RESIDENT_ID,
    "身份证": HolderIdType.RESIDENT_ID,
    "resident_id": HolderIdType.RESIDENT_ID,
    "统一社会信用代码": HolderIdType.USCC,
    "uscc": HolderIdType.USCC,
}
LONG_TERM = {"", "长期", "长期有效", "-"}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class RowProblem:
    """One problem of one row: the row number as the operator sees it in the file (header = row 1)."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class ImportRow:
    """A valid row, ready to become a licence."""

    row: int
    holder: services.Holder
    licence_number: str
    issued_on: dt.date
    valid_until: dt.date | None
    fields: dict


@dataclass
class ImportReport:
    """What a file holds: its valid rows, the problems of the others, and (after importing) what was imported."""

    licence_type: LicenceType
    total: int = 0
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)  # identifiers
    linked: int = 0  # imported licences linked to an existing verified account

    @property
    def bad_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems})

    @property
    def has_errors(self) -> bool:
        return bool(self.problems)


def template_headers(licence_type: LicenceType) -> list[str]:
    """The header row of an import file for this type (offered as a download on the import page)."""
    fields = [item.get("label") or item["name"] for item in licence_type.field_definitions or []]
    return [label for _key, label, _others in BASE_COLUMNS] + fields


def template_csv(licence_type: LicenceType) -> bytes:
    """An empty import file (UTF-8 with BOM, so spreadsheet programs open the Chinese headers correctly)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(template_headers(licence_type))
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------------------------------------------
# Reading


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("encoding")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def read_table(name: str, content: bytes) -> list[list[str]]:
    """The file's rows as text (xlsx: the first sheet); IMPORT_FILE_INVALID when it cannot be read."""
    if len(content) > MAX_BYTES:
        raise DomainError(LicenceError.IMPORT_FILE_INVALID)
    try:
        if content.startswith(b"PK\x03\x04") or name.lower().endswith(".xlsx"):
            rows = _read_xlsx(content)
        else:
            rows = _read_csv(content)
    except Exception as exc:  # openpyxl and csv raise many kinds on a damaged file: all mean "cannot read it"
        raise DomainError(LicenceError.IMPORT_FILE_INVALID) from exc
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows or len(rows) > MAX_ROWS + 1:
        raise DomainError(LicenceError.IMPORT_FILE_INVALID)
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Validation


def _columns(licence_type: LicenceType, header: list[str]) -> tuple[dict[str, int], list[RowProblem]]:
    """Map each expected column (base keys, then "field:<name>") to its position in the header."""
    positions = {text.strip(): index for index, text in enumerate(header) if text.strip()}
    wanted = [(key, label, (label, *others)) for key, label, others in BASE_COLUMNS]
    for item in licence_type.field_definitions or []:
        label = item.get("label") or item["name"]
        wanted.append((f"field:{item['name']}", label, (label, item["name"])))
    columns, problems = {}, []
    for key, label, names in wanted:
        found = next((positions[name] for name in names if name in positions), None)
        if found is not None:
            columns[key] = found
        elif key.startswith("field:") and not _required(licence_type, key[6:]):
            continue
        else:
            problems.append(RowProblem(1, label, _("缺少“%(label)s”列") % {"label": label}))
    return columns, problems


def _required(licence_type: LicenceType, name: str) -> bool:
    return any(item["name"] == name and item.get("required") for item in licence_type.field_definitions or [])


def _date(text: str) -> dt.date | None:
    match = _DATE.match(text.strip())
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _id_problem(id_type: str, number: str) -> str:
    if id_type == HolderIdType.RESIDENT_ID and not ric.is_valid(number):
        return _("居民身份证号码不正确（位数、出生日期或校验位有误）")
    if id_type == HolderIdType.USCC and not uscc.is_valid(number):
        return _("统一社会信用代码不正确（位数或校验位有误）")
    return ""


class _RowChecker:
    """Checks one row after another, remembering paper numbers seen in the file and already in the library."""

    def __init__(self, licence_type: LicenceType, columns: dict[str, int]):
        self.licence_type, self.columns, self.today = licence_type, columns, timezone.localdate()
        self.seen: dict[str, int] = {}
        self.existing = set(
            Licence.objects.filter(licence_type=licence_type, issuer=licence_type.issuer)
            .exclude(licence_number="")
            .values_list("licence_number", flat=True)
        )

    def value(self, cells: list[str], key: str) -> str:
        index = self.columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def check(self, number: int, cells: list[str]) -> tuple[ImportRow | None, list[RowProblem]]:
        problems: list[RowProblem] = []

        def problem(column: str, message: str) -> None:
            problems.append(RowProblem(number, column, message))

        name = self.value(cells, "holder_name")
        if not name or len(name) > 200:
            problem(_("持证主体名称"), _("不能为空，且不超过 200 字"))
        id_type = ID_TYPES.get(self.value(cells, "id_type"))
        id_number = self.value(cells, "id_number").replace(" ", "").upper()
        if id_type is None:
            problem(_("证件类型"), _("应为“居民身份证”或“统一社会信用代码”"))
        elif message := _id_problem(id_type, id_number):
            problem(_("证件号码"), message)
        paper_number = self.value(cells, "licence_number")
        if not paper_number or len(paper_number) > 64:
            problem(_("证照编号"), _("不能为空，且不超过 64 个字符"))
        elif paper_number in self.existing:
            problem(_("证照编号"), _("该编号的证照已在电子证照库中（可能已经导入过）"))
        elif paper_number in self.seen:
            problem(_("证照编号"), _("与第 %(row)s 行的证照编号重复") % {"row": self.seen[paper_number]})
        else:
            self.seen[paper_number] = number
        issued_on = _date(self.value(cells, "issued_on"))
        if issued_on is None:
            problem(_("颁证日期"), _("不是有效的日期，请写作 2019-05-01"))
        elif issued_on > self.today:
            problem(_("颁证日期"), _("不能晚于今天"))
        until_text = self.value(cells, "valid_until")
        valid_until = None if until_text in LONG_TERM else _date(until_text)
        if until_text not in LONG_TERM and valid_until is None:
            problem(_("有效期至"), _("不是有效的日期，请写作 2024-04-30；长期有效请写“长期”或留空"))
        elif valid_until and issued_on and valid_until < issued_on:
            problem(_("有效期至"), _("不能早于颁证日期"))
        fields = {}
        for item in self.licence_type.field_definitions or []:
            value = self.value(cells, f"field:{item['name']}")
            label = item.get("label") or item["name"]
            if item.get("required") and not value:
                problem(label, _("%(label)s不能为空") % {"label": label})
            elif len(value) > 1000:
                problem(label, _("不超过 1000 字"))
            elif value:
                fields[item["name"]] = value
        if problems:
            return None, problems
        holder = services.Holder(name=name, id_type=id_type, id_number=id_number)
        return ImportRow(number, holder, paper_number, issued_on, valid_until, fields), []


def import_check(*, licence_type: LicenceType, name: str, content: bytes) -> ImportReport:
    """Read and validate the whole file: every bad row and column named, nothing written."""
    table = read_table(name, content)
    report = ImportReport(licence_type=licence_type, total=len(table) - 1)
    columns, report.problems = _columns(licence_type, table[0])
    if report.problems:
        return report
    checker = _RowChecker(licence_type, columns)
    for number, cells in enumerate(table[1:], start=2):
        row, problems = checker.check(number, cells)
        if row is not None:
            report.rows.append(row)
        report.problems += problems
    return report


# ---------------------------------------------------------------------------------------------------------------
# Writing


def _accounts_by_index(rows: list[ImportRow]) -> dict[tuple[str, str], User]:
    """Verified accounts holding the rows' ID numbers (one query per chunk), keyed by (ID type, blind index)."""
    indexes = {blind_index("id_number", row.holder.id_number) for row in rows}
    accounts = {}
    for account in User.objects.filter(id_number_index__in=indexes, is_active=True):
        if account.kind == UserKind.ENTERPRISE:
            accounts[(HolderIdType.USCC, account.id_number_index)] = account
        elif account.kind == UserKind.PERSON and account.real_name_level >= RealNameLevel.L2:
            accounts[(HolderIdType.RESIDENT_ID, account.id_number_index)] = account
    return accounts


def _import_chunk(actor, licence_type: LicenceType, rows: list[ImportRow], report: ImportReport) -> None:
    with transaction.atomic():
        issuer = services._lock_active(licence_type.issuer)
        seal = services.issuer_seal(issuer)
        accounts = _accounts_by_index(rows)
        today = timezone.localdate()
        for row in rows:
            account = accounts.get((row.holder.id_type, blind_index("id_number", row.holder.id_number)))
            serial = services._next_licence_serial(licence_type, issuer, row.issued_on)
            expired = row.valid_until is not None and row.valid_until < today
            licence = Licence(
                identifier=str(LicenceIdentifier(licence_type.code, issuer.uscc, serial, 1)),
                licence_type=licence_type,
                issuer=issuer,
                serial=serial,
                version=1,
                holder=account,
                holder_name=row.holder.name,
                holder_id_type=row.holder.id_type,
                holder_id_number=row.holder.id_number,
                fields=row.fields,
                issued_on=row.issued_on,
                valid_from=row.issued_on,
                valid_until=row.valid_until,
                region_code=issuer.region.code if issuer.region_id else "",
                status=LicenceStatus.EXPIRED if expired else LicenceStatus.VALID,
                licence_number=row.licence_number,
                imported=True,
                issued_by=actor if getattr(actor, "pk", None) else None,
            )
            after = {"licence_number": row.licence_number, "row": row.row, "linked_account": account is not None}
            services.licence_store(licence, seal, actor=actor, action="licences.licence.import", after=after)
            report.imported.append(licence.identifier)
            report.linked += account is not None


def licences_import(
    *,
    actor,
    licence_type: LicenceType,
    name: str,
    content: bytes,
    valid_rows_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate the file, then import its licences (all rows, or only the valid ones when the operator chose so).

    A file with errors imports nothing (IMPORT_HAS_ERRORS) unless `valid_rows_only`. `actor` None is the operator
    at the command line; a member of staff must be an approver of the type's issuer. `progress(done, total)` is
    called after each chunk."""
    if actor is not None:
        require_manager(actor, licence_type)
    if not licence_type.active:
        raise DomainError(LicenceError.LICENCE_TYPE_INACTIVE)
    report = import_check(licence_type=licence_type, name=name, content=content)
    if report.has_errors and not valid_rows_only:
        raise DomainError(LicenceError.IMPORT_HAS_ERRORS)
    if not report.rows:
        raise DomainError(LicenceError.IMPORT_EMPTY)
    for start in range(0, len(report.rows), CHUNK):
        _import_chunk(actor, licence_type, report.rows[start : start + CHUNK], report)
        if progress is not None:
            progress(min(start + CHUNK, len(report.rows)), len(report.rows))
    audit.record(
        actor=actor,
        action="licences.import.run",
        obj=licence_type,
        after={
            "file": name[:200],
            "rows": report.total,
            "imported": len(report.imported),
            "skipped_rows": report.bad_rows,
            "linked_accounts": report.linked,
        },
    )
    return report

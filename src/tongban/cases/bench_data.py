"""Bench data for cases (办件): N submitted cases over past working days, for the bench (A BENCH AND DEMO TOOL ONLY).

The cases are realistic in shape: they belong to the demo county's published items open to persons, to thousands of
generated person accounts (L2, with encrypted phone and ID number and their blind indexes; a few applicants hold many
cases, most hold a handful), with national status codes spread by age (the last few working days mostly 已接件 or
待补正, older ones mostly accepted or decided), 1–4 timeline events each, and case numbers unique per item and day.

Everything is written with bulk inserts (PostgreSQL: COPY; SQLite: multi-row INSERT) straight into the tables,
bypassing the services, so there are NO audit rows, no documents, no materials and no notifications for these cases.
Numbers are taken per item and day from the serial counters in bulk (one read and one upsert per batch, not one
counter call per case) and only for days before today, so the platform's own submissions today never collide.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone, translation

from tongban.accounts.models import RealNameLevel, StaffAssignment, StaffRole, User, UserKind
from tongban.cases import deadlines
from tongban.cases.models import (
    ApplicantKind,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    EventCode,
    IdType,
    SupplementRequest,
)
from tongban.catalog.models import ImplementationItem
from tongban.core.calendar import is_working_day
from tongban.core.models import HallWindow, Organisation, OrganisationKind, SerialCounter
from tongban.core.numbering import CASE_SERIAL_MAX
from tongban.demo.identifiers import resident_id

DEMO_COUNTY = "330122"
BATCH = 20_000
DEFAULT_DAYS = 1095  # three years of working days
APPLICANT_PREFIX = "bench_p"
GENERATOR_USERNAME = "bench_case_generator"
# Applicants: about one per 60 cases (at least 50); 1% are heavy users (intermediaries, frequent applicants).
CASES_PER_APPLICANT = 60
HEAVY_SHARE = 0.01
HEAVY_WEIGHT = 40.0
RECENT_WORKING_DAYS = 4  # received within these: acceptance deadline (5 working days) not yet passed
MID_DAYS = 60
WINDOW_SHARE = 0.15

# Status mixes by age of the case (weights).
RECENT_MIX = {
    CaseStatus.RECEIVED: 60,
    CaseStatus.SUPPLEMENT: 12,
    CaseStatus.ACCEPTED: 20,
    CaseStatus.REFUSED: 3,
    CaseStatus.WITHDRAWN: 5,
}
MID_MIX = {
    CaseStatus.SUPPLEMENT: 3,
    CaseStatus.ACCEPTED: 15,
    CaseStatus.IN_REVIEW: 35,
    CaseStatus.APPROVED: 35,
    CaseStatus.REFUSED: 4,
    CaseStatus.WITHDRAWN: 4,
    CaseStatus.DENIED: 4,
}
OLD_MIX = {
    CaseStatus.APPROVED: 80,
    CaseStatus.APPROVED_DEFERRED: 3,
    CaseStatus.DENIED: 5,
    CaseStatus.REFUSED: 5,
    CaseStatus.WITHDRAWN: 7,
}
# The events after 接件 for each status (each event: code, opinion).
STEPS = {
    CaseStatus.RECEIVED: [],
    CaseStatus.SUPPLEMENT: [(EventCode.SUPPLEMENT_REQUESTED, "申请材料需补正：请补充清晰的身份证件扫描件")],
    CaseStatus.ACCEPTED: [(EventCode.ACCEPTED, "")],
    CaseStatus.IN_REVIEW: [(EventCode.ACCEPTED, ""), (EventCode.REVIEW_STARTED, "")],
    CaseStatus.APPROVED: [(EventCode.ACCEPTED, ""), (EventCode.REVIEW_STARTED, ""), (EventCode.APPROVED, "准予许可")],
    CaseStatus.APPROVED_DEFERRED: [
        (EventCode.ACCEPTED, ""),
        (EventCode.REVIEW_STARTED, ""),
        (EventCode.APPROVED_DEFERRED, "容缺材料已补齐，准予许可"),
    ],
    CaseStatus.DENIED: [(EventCode.ACCEPTED, ""), (EventCode.REVIEW_STARTED, ""), (EventCode.DENIED, "不符合法定条件")],
    CaseStatus.REFUSED: [(EventCode.REFUSED, "申请事项不属于本机关职权范围")],
    CaseStatus.WITHDRAWN: [(EventCode.WITHDRAWN, "申请人主动撤回")],
}
ACCEPTED_STATUSES = {
    CaseStatus.ACCEPTED,
    CaseStatus.IN_REVIEW,
    CaseStatus.APPROVED,
    CaseStatus.APPROVED_DEFERRED,
    CaseStatus.DENIED,
}
CLOSED_STATUSES = {
    CaseStatus.APPROVED,
    CaseStatus.APPROVED_DEFERRED,
    CaseStatus.DENIED,
    CaseStatus.REFUSED,
    CaseStatus.WITHDRAWN,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红晓燕丹玉梅海波鹏飞慧琳"
STREETS = ["迎春南路", "白云源路", "学圣路", "富春路", "瑶琳路", "春江路", "康复路", "梅林路"]


# ---------------------------------------------------------------------------------------------------------------
# What the cases are made of


@dataclass(frozen=True)
class ItemInfo:
    """A published item cases are generated for, with what a case of it needs."""

    item_id: int
    code: str
    version_id: int
    organisation_id: int
    name: str
    version: object  # ItemVersion, for the completion dates
    form: dict  # answers template (the applicant's own fields filled per case)
    prefill: dict  # form field -> "profile.<attribute>"
    pages: int
    weight: float


@dataclass(frozen=True)
class Person:
    """A generated applicant: the account's id and the case snapshot values, encrypted once for every case."""

    pk: int
    name: str
    phone: str
    id_number: str
    id_cipher: str
    id_index: str
    phone_cipher: str


def _sample_answer(name: str, spec: dict, rng: random.Random):
    kind = spec.get("type")
    if "enum" in spec:
        return spec["enum"][0]
    if kind == "number" or kind == "integer":
        return max(spec.get("minimum", 0), 10)
    if kind == "boolean":
        return True
    if kind == "array":
        choices = spec.get("items", {}).get("enum") or ["其他"]
        return choices[:1]
    if spec.get("format") == "date":
        return "2024-03-01"
    title = spec.get("title", name)
    return f"{title}（示例）"[: spec.get("maxLength", 200)]


def _form_template(schema: dict, rng: random.Random) -> dict:
    properties = (schema or {}).get("properties", {})
    required = set((schema or {}).get("required", []))
    return {name: _sample_answer(name, spec, rng) for name, spec in properties.items() if name in required}


def demo_items(region_code: str = DEMO_COUNTY, rng: random.Random | None = None) -> list[ItemInfo]:
    """The published items of the county's organisations that persons may apply for (the cases' items)."""
    rng = rng or random.Random(0)  # noqa: S311 — generated test data
    items = (
        ImplementationItem.objects.filter(
            published_version__isnull=False, organisation__region__code__startswith=region_code
        )
        .select_related("published_version")
        .order_by("code")
    )
    found = []
    for item in items:
        version = item.published_version
        if version.service_object and ApplicantKind.PERSON not in version.service_object:
            continue
        ui = version.form_ui or {}
        found.append(
            ItemInfo(
                item_id=item.pk,
                code=item.code,
                version_id=version.pk,
                organisation_id=item.organisation_id,
                name=version.name,
                version=version,
                form=_form_template(version.form_schema, rng),
                prefill=dict(ui.get("prefill", {})),
                pages=max(1, len(ui.get("pages", []))),
                weight=rng.choice([1, 1, 2, 3, 5, 8]),
            )
        )
    return found


def _random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def _person_identity(index: int) -> tuple[str, str]:
    """A unique phone (199 + 8 digits) and a valid resident ID (births spread from 1950, sequences 200–499)."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=index // 300)
    id_number = resident_id(DEMO_COUNTY, f"{birth:%Y%m%d}", 200 + index % 300 // 2, female=bool(index % 2))
    return f"199{index:08d}", id_number


def _person(user: User) -> Person:
    id_field = Case._meta.get_field("applicant_id_number")
    phone_field = Case._meta.get_field("contact_phone")
    index_field = Case._meta.get_field("applicant_id_index")
    return Person(
        pk=user.pk,
        name=user.real_name or user.display_name,
        phone=user.phone,
        id_number=user.id_number,
        id_cipher=id_field.encrypt(user.id_number),
        id_index=index_field.compute(Case(applicant_id_number=user.id_number)),
        phone_cipher=phone_field.encrypt(user.phone),
    )


def ensure_applicants(count: int, *, rng: random.Random, prefix: str = APPLICANT_PREFIX) -> list[User]:
    """`count` generated L2 person accounts named <prefix>000001…: the existing ones reused, the rest bulk-created.

    Phones and ID numbers are derived from the account's number, so they are unique and stable across runs.
    """
    existing = {user.username: user for user in User.objects.filter(username__startswith=prefix)}
    missing = []
    now = timezone.now()
    unusable = make_password(None)
    for index in range(1, count + 1):
        username = f"{prefix}{index:06d}"
        if username in existing:
            continue
        phone, id_number = _person_identity(index + (0 if prefix == APPLICANT_PREFIX else 5_000_000))
        name = _random_name(rng)
        missing.append(
            User(
                kind=UserKind.PERSON,
                username=username,
                password=unusable,
                display_name=name,
                real_name=name,
                phone=phone,
                id_number=id_number,
                real_name_level=RealNameLevel.L2,
                real_name_verified_at=now,
            )
        )
    for start in range(0, len(missing), 2000):
        User.objects.bulk_create(missing[start : start + 2000])
    return list(User.objects.filter(username__startswith=prefix).order_by("username")[:count])


def _applicant_weights(count: int, rng: random.Random) -> list[float]:
    """Cumulative weights: most applicants equal, a few heavy ones (HEAVY_WEIGHT times as many cases)."""
    cumulative, total = [], 0.0
    for _index in range(count):
        total += HEAVY_WEIGHT if rng.random() < HEAVY_SHARE else rng.uniform(0.5, 1.5)
        cumulative.append(total)
    return cumulative


# ---------------------------------------------------------------------------------------------------------------
# Days, numbers and staff


def past_working_days(days: int, today: dt.date) -> list[dt.date]:
    """The working days among the `days` calendar days before today, oldest first (today itself excluded)."""
    candidates = (today - dt.timedelta(days=offset) for offset in range(days, 0, -1))
    return [day for day in candidates if is_working_day(day)]


class Serials:
    """Daily case serials per item, read from and written back to core_serialcounter in bulk."""

    def __init__(self, items: list[ItemInfo]):
        self.prefixes = {info.item_id: f"case:{info.code}" for info in items}
        self.values: dict[tuple[str, dt.date], int] = {}
        self.touched: set[tuple[str, dt.date]] = set()

    def load(self, days: Iterable[dt.date]) -> None:
        """Read the counters of these days (once per batch) so numbers continue after any earlier run."""
        days = [day for day in days if (next(iter(self.prefixes.values()), ""), day) not in self.values]
        if not days:
            return
        rows = SerialCounter.objects.filter(prefix__in=self.prefixes.values(), day__in=days)
        for prefix in self.prefixes.values():
            for day in days:
                self.values.setdefault((prefix, day), 0)
        for prefix, day, value in rows.values_list("prefix", "day", "value"):
            self.values[(prefix, day)] = value

    def next(self, item_id: int, day: dt.date) -> int | None:
        """The next serial of this item on this day, or None when the day is full (then pick another day)."""
        key = (self.prefixes[item_id], day)
        value = self.values[key] + 1
        if value > CASE_SERIAL_MAX:
            return None
        self.values[key] = value
        self.touched.add(key)
        return value

    def save(self) -> None:
        """Write back the counters changed since the last save (one upsert statement per 2 000)."""
        rows = [SerialCounter(prefix=prefix, day=day, value=self.values[(prefix, day)]) for prefix, day in self.touched]
        SerialCounter.objects.bulk_create(
            rows, batch_size=2000, update_conflicts=True, unique_fields=["prefix", "day"], update_fields=["value"]
        )
        self.touched.clear()


@dataclass(frozen=True)
class Staff:
    """Who acts for each organisation on the timeline, and the window cases are received at."""

    reviewers: dict[int, tuple[int, str]]  # organisation id -> (user id, label)
    fallback: tuple[int, str]
    hall_id: int | None
    window_id: int | None

    def reviewer(self, organisation_id: int) -> tuple[int, str]:
        return self.reviewers.get(organisation_id, self.fallback)


def _staff(region_code: str) -> Staff:
    generator = User.objects.filter(username=GENERATOR_USERNAME).first()
    if generator is None:
        generator = User.objects.create(
            kind=UserKind.STAFF,
            username=GENERATOR_USERNAME,
            display_name="性能测试生成器",
            password=make_password(None),
        )
    reviewers = {}
    for assignment in StaffAssignment.objects.filter(role=StaffRole.REVIEWER).select_related("user").order_by("pk"):
        reviewers.setdefault(assignment.organisation_id, (assignment.user_id, str(assignment.user)))
    hall = (
        Organisation.objects.filter(kind=OrganisationKind.SERVICE_HALL, region__code=region_code).order_by("pk").first()
    )
    window = (
        HallWindow.objects.filter(hall=hall, kind=HallWindow.Kind.ACCEPTANCE).order_by("pk").first() if hall else None
    )
    return Staff(
        reviewers=reviewers,
        fallback=(generator.pk, str(generator)),
        hall_id=hall.pk if hall else None,
        window_id=window.pk if window else None,
    )


# ---------------------------------------------------------------------------------------------------------------
# One case


class _Dates:
    """Deadline arithmetic on the platform calendar, memoised (a few thousand distinct days and versions)."""

    def __init__(self):
        self._acceptance: dict[dt.date, tuple[dt.date, bool]] = {}
        self._completion: dict[tuple[int, dt.date], deadlines.CompletionDates] = {}

    def acceptance(self, day: dt.date) -> tuple[dt.date, bool]:
        if day not in self._acceptance:
            self._acceptance[day] = deadlines.acceptance_due(day)
        return self._acceptance[day]

    def completion(self, info: ItemInfo, day: dt.date) -> deadlines.CompletionDates:
        key = (info.version_id, day)
        if key not in self._completion:
            self._completion[key] = deadlines.completion_dates(info.version, day)
        return self._completion[key]


def _pick(mix: dict[int, int], rng: random.Random) -> int:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _answers(info: ItemInfo, person: Person, rng: random.Random) -> dict:
    profile = {"real_name": person.name, "phone": person.phone, "id_number": person.id_number}
    answers = dict(info.form)
    for field, source in info.prefill.items():
        attribute = source.removeprefix("profile.")
        if attribute in profile:
            answers[field] = profile[attribute]
    for field, value in answers.items():
        if isinstance(value, str) and value.endswith("（示例）") and ("地址" in value or "场所" in value):
            answers[field] = f"桐庐县{rng.choice(STREETS)}{rng.randint(1, 300)}号"
    return answers


@dataclass
class Built:
    """The rows of one generated case."""

    case: dict
    events: list[dict]
    supplement: dict | None


def build_case(
    *,
    pk: int,
    number: str,
    info: ItemInfo,
    person: Person,
    day: dt.date,
    age_days: int,
    staff: Staff,
    dates: _Dates,
    now: dt.datetime,
    rng: random.Random,
    query_code_field,
) -> Built:
    """The case row (column -> value) and its timeline for one application received on `day`."""
    mix = RECENT_MIX if age_days <= RECENT_WORKING_DAYS else MID_MIX if age_days <= MID_DAYS else OLD_MIX
    status = _pick(mix, rng)
    tz = timezone.get_current_timezone()
    received_at = dt.datetime.combine(day, dt.time(8, 30), tzinfo=tz) + dt.timedelta(minutes=rng.randint(0, 540))
    due, provisional = dates.acceptance(day)
    window = rng.random() < WINDOW_SHARE and staff.hall_id is not None
    reviewer_id, reviewer_label = staff.reviewer(info.organisation_id)
    case = {
        "id": pk,
        "public_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "number": number,
        "query_code": query_code_field.encrypt(f"{rng.randrange(10**6):06d}"),
        "status": int(status),
        "lock_version": 1 + len(STEPS[status]),
        "item_id": info.item_id,
        "version_id": info.version_id,
        "organisation_id": info.organisation_id,
        "applicant_id": person.pk,
        "submitted_by_id": person.pk,
        "applicant_kind": ApplicantKind.PERSON.value,
        "applicant_name": person.name,
        "applicant_id_type": IdType.RESIDENT_ID.value,
        "applicant_id_number": person.id_cipher,
        "applicant_id_index": person.id_index,
        "contact_phone": person.phone_cipher,
        "channel": (Channel.WINDOW if window else Channel.ONLINE).value,
        "accepting_hall_id": staff.hall_id if window else None,
        "accepting_window_id": staff.window_id if window else None,
        "identity_checked": window,
        "form_data": json.dumps(_answers(info, person, rng), ensure_ascii=False),
        "current_page": info.pages,
        "created_at": received_at - dt.timedelta(minutes=rng.randint(3, 90)),
        "received_at": received_at,
        "materials_complete_on": day,
        "acceptance_due": due,
        "deadline_provisional": provisional,
    }
    events = [
        _event_row(
            pk,
            EventCode.RECEIVED,
            received_at,
            staff.hall_id if window else info.organisation_id,
            person.pk,
            person.name,
        )
    ]
    moment = received_at
    accepted_on = min(day + dt.timedelta(days=rng.choice([0, 0, 1, 1, 2, 3])), due)
    if status in ACCEPTED_STATUSES:
        completion = dates.completion(info, accepted_on)
        moment = max(moment, dt.datetime.combine(accepted_on, dt.time(9, 0), tzinfo=tz)) + dt.timedelta(
            minutes=rng.randint(5, 400)
        )
        case |= {
            "accepted_at": moment,
            "accepted_on": accepted_on,
            "accepted_by_id": reviewer_id,
            "promised_due": completion.promised,
            "statutory_due": completion.statutory,
            "deadline_provisional": provisional or completion.provisional,
        }
    for index, (code, opinion) in enumerate(STEPS[status]):
        if index > 0 or code not in (EventCode.ACCEPTED,):
            moment = moment + dt.timedelta(hours=rng.randint(1, 24 * (4 if code >= EventCode.APPROVED else 1)))
        moment = min(moment, now - dt.timedelta(minutes=rng.randint(1, 60)))
        actor = (person.pk, person.name) if code == EventCode.WITHDRAWN else (reviewer_id, reviewer_label)
        events.append(_event_row(pk, code, moment, info.organisation_id, *actor, opinion=opinion))
    if status in CLOSED_STATUSES:
        case["closed_at"] = moment
    case["updated_at"] = moment
    supplement = None
    if status == CaseStatus.SUPPLEMENT:
        supplement = {
            "case_id": pk,
            "items": json.dumps(
                [{"material": None, "name": "申请人居民身份证", "problem": "扫描件不清晰，请重新上传"}],
                ensure_ascii=False,
            ),
            "note": "",
            "requested_by_id": reviewer_id,
            "requested_at": moment,
            "returned_at": None,
            "returned_by_id": None,
        }
    return Built(case=case, events=events, supplement=supplement)


def _event_row(case_id, code, moment, organisation_id, actor_id, actor_label, opinion="") -> dict:
    return {
        "case_id": case_id,
        "code": int(code),
        "name": _EVENT_NAMES[code],
        "organisation_id": organisation_id,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "opinion": opinion,
        "public": True,
        "created_at": moment,
    }


with translation.override("zh-hans"):
    _EVENT_NAMES = {code: str(code.label) for code in EventCode}


# ---------------------------------------------------------------------------------------------------------------
# Writing


class TableWriter:
    """Bulk rows into a model's table: COPY on PostgreSQL, multi-row INSERT on SQLite; other columns get defaults."""

    def __init__(self, model, *, with_id: bool):
        self.model = model
        self.table = model._meta.db_table
        fields = [field for field in model._meta.concrete_fields if with_id or not field.primary_key]
        self.columns = [field.column for field in fields]
        self.attnames = [field.attname for field in fields]
        self.defaults = {field.attname: self._default(field) for field in fields}
        self.vendor = connection.vendor
        self.adapters = {field.attname: self._adapter(field) for field in fields}

    @staticmethod
    def _default(field):
        if field.primary_key:
            return None
        value = field.get_default()  # "" for a text column without a default, None for the rest
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value

    def _adapter(self, field) -> Callable | None:
        internal = field.get_internal_type()
        if internal == "DateTimeField":
            return connection.ops.adapt_datetimefield_value
        if internal == "DateField":
            return connection.ops.adapt_datefield_value
        if internal == "BooleanField" and self.vendor == "sqlite":
            return lambda value: None if value is None else int(value)
        return None

    def _tuple(self, row: dict) -> tuple:
        values = []
        for name in self.attnames:
            value = row.get(name, self.defaults[name])
            adapter = self.adapters[name]
            values.append(adapter(value) if adapter is not None and value is not None else value)
        return tuple(values)

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        tuples = (self._tuple(row) for row in rows)
        columns = ", ".join(connection.ops.quote_name(column) for column in self.columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only

                raw = cursor.cursor
                # The queued writer sends from a thread, so the server indexes one chunk while Python converts the next.
                sql = f"COPY {self.table} ({columns}) FROM STDIN"
                with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
                    for values in tuples:
                        copy.write_row(values)
                return
            marks = ", ".join(["%s"] * len(self.columns))
            sql = f"INSERT INTO {self.table} ({columns}) VALUES ({marks})"  # noqa: S608 (model's own table)
            cursor.executemany(sql, list(tuples))


def reserve_case_ids(count: int) -> list[int]:
    """`count` fresh primary keys for cases: from the sequence on PostgreSQL, after the largest id on SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Case._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Case._meta.db_table}")  # noqa: S608
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


# ---------------------------------------------------------------------------------------------------------------
# The run


def _daily_counts(total: int, days: list[dt.date], rng: random.Random) -> list[int]:
    """Cases per day: roughly even with ±30% jitter, summing exactly to total."""
    weights = [rng.uniform(0.7, 1.3) for _day in days]
    scale = total / sum(weights)
    counts = [int(weight * scale) for weight in weights]
    for index in rng.sample(range(len(days)), total - sum(counts)):
        counts[index] += 1
    return counts


@dataclass
class Plan:
    """Everything the batches share."""

    items: list[ItemInfo]
    item_weights: list[float]
    people: list[Person]
    people_weights: list[float]
    staff: Staff
    serials: Serials
    dates: _Dates
    today: dt.date
    now: dt.datetime


def generate(
    count: int,
    *,
    rng: random.Random,
    say: Callable[[str], None] = lambda _message: None,
    days: int = DEFAULT_DAYS,
    applicants: int | None = None,
    region_code: str = DEMO_COUNTY,
) -> int:
    """Generate `count` submitted cases over the working days of the last `days` days; the number created."""
    started = time.monotonic()
    plan = _plan(count, rng=rng, say=say, days=days, applicants=applicants, region_code=region_code)
    working_days = past_working_days(days, plan.today)
    per_day = _daily_counts(count, working_days, rng)
    writers = (
        TableWriter(Case, with_id=True),
        TableWriter(CaseEvent, with_id=False),
        TableWriter(SupplementRequest, with_id=False),
    )
    created, pending_days = 0, []
    for position, (day, number_of_cases) in enumerate(zip(working_days, per_day, strict=True)):
        pending_days.append((day, len(working_days) - position, number_of_cases))
        if sum(n for *_rest, n in pending_days) >= BATCH or position == len(working_days) - 1:
            created += _write_batch(plan, pending_days, writers, rng)
            pending_days = []
            elapsed = time.monotonic() - started
            say(f"  {created} / {count} 件（{elapsed:.0f} 秒，{created / max(elapsed, 0.001):.0f} 件/秒）")
    return created


def _plan(count, *, rng, say, days, applicants, region_code) -> Plan:
    items = demo_items(region_code, rng)
    if not items:
        raise LookupError(f"区划 {region_code} 下没有面向自然人的已发布事项：请先运行 demo_seed")
    wanted = applicants or max(50, count // CASES_PER_APPLICANT)
    say(f"  申请人 {wanted} 个（已有的复用）…")
    users = ensure_applicants(wanted, rng=rng)
    people = [_person(user) for user in users]
    staff = _staff(region_code)
    say(f"  事项 {len(items)} 个，申请人 {len(people)} 个；生成办件 …")
    return Plan(
        items=items,
        item_weights=_cumulative(info.weight for info in items),
        people=people,
        people_weights=_applicant_weights(len(people), rng),
        staff=staff,
        serials=Serials(items),
        dates=_Dates(),
        today=timezone.localdate(),
        now=timezone.now(),
    )


def _cumulative(values: Iterable[float]) -> list[float]:
    total, cumulative = 0.0, []
    for value in values:
        total += value
        cumulative.append(total)
    return cumulative


@transaction.atomic
def _write_batch(plan: Plan, pending_days, writers, rng: random.Random) -> int:
    """One transaction: the cases of a few consecutive days, their events and supplement requests, the counters."""
    case_writer, event_writer, supplement_writer = writers
    plan.serials.load(day for day, *_rest in pending_days)
    ids = iter(reserve_case_ids(sum(n for *_rest, n in pending_days)))
    query_code_field = Case._meta.get_field("query_code")
    cases, events, supplements = [], [], []
    for day, age_days, number_of_cases in pending_days:
        chosen_items = rng.choices(plan.items, cum_weights=plan.item_weights, k=number_of_cases)
        chosen_people = rng.choices(plan.people, cum_weights=plan.people_weights, k=number_of_cases)
        for info, person in zip(chosen_items, chosen_people, strict=True):
            serial = plan.serials.next(info.item_id, day)
            if serial is None:
                continue  # this item's day is full (9 999 cases): skip rather than break the number format
            built = build_case(
                pk=next(ids),
                number=f"{info.code}{day:%Y%m%d}{serial:04d}",
                info=info,
                person=person,
                day=day,
                age_days=age_days,
                staff=plan.staff,
                dates=plan.dates,
                now=plan.now,
                rng=rng,
                query_code_field=query_code_field,
            )
            cases.append(built.case)
            events.extend(built.events)
            if built.supplement:
                supplements.append(built.supplement)
    case_writer.write(cases)
    event_writer.write(events)
    supplement_writer.write(supplements)
    plan.serials.save()
    return len(cases)


def applicants_with_cases(low: int, high: int, limit: int = 16) -> list[int]:
    """Generated applicants holding between low and high cases (the bench's 我的办件 persons)."""
    rows = (
        Case.objects.filter(applicant__username__startswith=APPLICANT_PREFIX)
        .values("applicant_id")
        .annotate(total=Count("id"))
        .filter(total__gte=low, total__lte=high)
        .order_by("applicant_id")
        .values_list("applicant_id", flat=True)[:limit]
    )
    return list(rows)


__all__ = [
    "BATCH",
    "DEFAULT_DAYS",
    "DEMO_COUNTY",
    "TableWriter",
    "applicants_with_cases",
    "demo_items",
    "ensure_applicants",
    "generate",
    "past_working_days",
    "reserve_case_ids",
]

"""The audit log: one helper (`record`) that every service calls, the SM3 hash chain, and its verification.

Each entry's hash is SM3 over the previous entry's hash and the entry's canonical JSON, so altering, removing or
reordering any row breaks every hash after it. Writers are serialised (a PostgreSQL advisory lock; SQLite's
IMMEDIATE transactions) so the chain stays linear under concurrency.

The lock is held from the first entry to COMMIT, so every audited write of the platform waits for it. A hot path
wraps the end of its transaction in `deferred()`: its entries are buffered and chained together when the with-block
ends, just before the commit, so the lock covers only "read the last hash, insert, commit".

Database triggers refuse UPDATE and DELETE on the table (`create_triggers`, installed by migration
0002_audit_triggers), so the application cannot change history even by mistake; the chain is what detects someone
who goes around the triggers with direct database access. `manage.py audit_verify` checks both.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_ipv46_address
from django.db import connection, models
from django.utils import timezone

from tongban.core.crypto import sm3_hex
from tongban.core.db.writes import insert_many
from tongban.core.middleware import current_acting_for, current_request_context
from tongban.core.models import AuditEntry

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same in every process. (0x5442 = "TB")
_CHAIN_LOCK_KEY = 0x5442_0001

# Entries buffered by an open `deferred()` block (None when none is open).
_pending: ContextVar[list[AuditEntry] | None] = ContextVar("audit_pending", default=None)

# The table name is spelled out rather than read from AuditEntry._meta: migration 0002 runs this SQL and must mean
# the same table whatever the model looks like later.
AUDIT_TABLE = "core_auditentry"
APPEND_ONLY_MESSAGE = "audit log is append-only"

_TRIGGER_SQL: dict[str, tuple[list[str], list[str]]] = {
    # vendor: (statements that create the triggers, statements that drop them); both idempotent.
    "sqlite": (
        [
            f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
            f"CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        ],
        [
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_delete",
        ],
    ),
    # TRUNCATE deliberately stays allowed: it needs table ownership (not granted to a least-privilege app role), and
    # the test runner's flush uses it. Row triggers do not fire on TRUNCATE.
    "postgresql": (
        [
            f"CREATE OR REPLACE FUNCTION {AUDIT_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$",
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_append_only ON {AUDIT_TABLE}",
            f"CREATE TRIGGER {AUDIT_TABLE}_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {AUDIT_TABLE}_append_only()",
        ],
        [
            f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_append_only ON {AUDIT_TABLE}",
            f"DROP FUNCTION IF EXISTS {AUDIT_TABLE}_append_only()",
        ],
    ),
}


def trigger_statements(vendor: str) -> tuple[list[str], list[str]]:
    """(create, drop) SQL for the append-only triggers on this database vendor; ([], []) where unsupported."""
    create, drop = _TRIGGER_SQL.get(vendor, ([], []))
    return list(create), list(drop)


def create_triggers(conn) -> None:
    """Install the triggers that refuse UPDATE and DELETE on the audit table (idempotent)."""
    _execute_all(conn, trigger_statements(conn.vendor)[0])


def drop_triggers(conn) -> None:
    """Remove the append-only triggers (migration reverse and tests that simulate tampering only)."""
    _execute_all(conn, trigger_statements(conn.vendor)[1])


def triggers_installed(conn) -> bool:
    """Whether the append-only triggers exist (SQLite drops them silently when a migration rebuilds the table)."""
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name IN (%s, %s)",
                [AUDIT_TABLE, f"{AUDIT_TABLE}_no_update", f"{AUDIT_TABLE}_no_delete"],
            )
            return cursor.fetchone()[0] == 2
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s AND tgenabled <> 'D'",
                [AUDIT_TABLE, f"{AUDIT_TABLE}_append_only"],
            )
            return cursor.fetchone()[0] == 1
    return False


def _execute_all(conn, statements: list[str]) -> None:
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so what is hashed is exactly what the JSONField stores and reads back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_entry(entry: AuditEntry) -> bytes:
    """The bytes hashed for an entry: sorted-key compact JSON of every recorded field except the hashes."""
    data = {
        "created_at": _timestamp(entry.created_at),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "acting_for_id": entry.acting_for_id,
        "acting_for_label": entry.acting_for_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return sm3_hex(prev_hash.encode("ascii") + canonical_entry(entry))


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: the connection runs IMMEDIATE transactions, so this transaction already holds the write lock.


def _normalised_ip(ip: str | None) -> str | None:
    """The address exactly as the database will return it (IPv6 is compressed on save), so the hash stays valid.

    A malformed address (a forged X-Forwarded-For) is dropped rather than failing the caller's business action.
    """
    if not ip:
        return None
    try:
        validate_ipv46_address(ip)
    except ValidationError:
        return None
    return AuditEntry._meta.get_field("ip").get_prep_value(ip)


def _label(user) -> str:
    if user is None:
        return ""
    return str(user)[:200]


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    acting_for=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor_label: str = "",
) -> AuditEntry:
    """Append one audit entry in the caller's transaction. `actor` may be None for the system (commands, jobs).

    Call it from services inside @transaction.atomic, after the change; the entry commits or rolls back with it.
    `actor_label` names an actor that is not an account (a machine client: "client:<client_id>").
    `acting_for` defaults to the enterprise the request acts for (core.middleware.current_acting_for).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction.atomic block")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    context = current_request_context()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    if acting_for is None:
        # A person switched to an enterprise identity: every action of theirs records whom they acted for.
        acting_for = current_acting_for()
    entry = AuditEntry(
        created_at=timezone.now(),
        actor=actor,
        actor_label=actor_label[:200] or _label(actor) or "系统",
        acting_for=acting_for,
        acting_for_label=_label(acting_for),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:300],
        before=_jsonable(before),
        after=_jsonable(after),
        ip=_normalised_ip(context.ip),
        user_agent=context.user_agent,
        request_id=context.request_id,
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(entry)  # chained and saved when the deferred() block ends
    else:
        _append([entry])
    return entry


def _append(entries: list[AuditEntry]) -> None:
    """Chain the entries after the newest one and insert them, under the chain lock (held to COMMIT)."""
    _lock_chain()
    # A statement of its own, after the lock: one folded into the locking statement would read a snapshot taken before
    # the lock was granted and miss the entry the previous holder committed. Written out: every audited write runs it.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT hash FROM {AuditEntry._meta.db_table} ORDER BY id DESC LIMIT 1")  # noqa: S608
        last = cursor.fetchone()
    previous = last[0] if last else GENESIS_HASH
    for entry in entries:
        entry.prev_hash = previous
        entry.hash = previous = chain_hash(previous, entry)
    insert_many(entries)


@contextmanager
def deferred() -> Iterator[None]:
    """Buffer the entries recorded inside the block and write them (lock, chain, insert) when it ends.

    Use it as the last thing inside a service's transaction.atomic block, so the chain lock is taken just before
    COMMIT instead of at the first entry. Entries keep their own times and order; they have no id or hash until the
    block ends. If the block raises, nothing is written (the transaction rolls back anyway). Nested blocks join the
    outer one.
    """
    if _pending.get() is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("audit.deferred must run inside the service's transaction.atomic block")
    entries: list[AuditEntry] = []
    token = _pending.set(entries)
    try:
        yield
    finally:
        _pending.reset(token)
    if entries:
        _append(entries)


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A before/after dict of a model's concrete fields (foreign keys as ids), for `record`."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: getattr(obj, name) for name in names}


@dataclass(frozen=True)
class ChainBreak:
    """Where verification failed: the first entry whose stored hashes do not match the recomputed chain."""

    entry_id: int
    created_at: dt.datetime
    action: str
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: how many entries verified before the first break (if any)."""

    checked: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def check_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the whole log in id order, a batch at a time (constant memory), and stop at the first break.

    A changed row fails its own hash; a removed or inserted row fails the next row's link to its predecessor.
    Removing the newest rows leaves a shorter chain that is still valid: only a copy of the head hash kept
    elsewhere catches that.
    """
    expected_prev, last_id, checked = GENESIS_HASH, 0, 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return ChainReport(checked, None)
        for entry in batch:
            reason = _break_reason(entry, expected_prev, last_id)
            if reason:
                return ChainReport(checked, ChainBreak(entry.id, entry.created_at, entry.action, reason))
            expected_prev, last_id, checked = entry.hash, entry.id, checked + 1


def _break_reason(entry: AuditEntry, expected_prev: str, previous_id: int) -> str:
    if entry.prev_hash != expected_prev:
        if previous_id:
            return f"与前一条记录（#{previous_id}）的哈希不衔接：两者之间有记录被删除或插入，或前一条的哈希被改动"
        return "第一条记录不是从初始哈希开始：之前的记录被删除，或本条的前一条哈希被改动"
    if chain_hash(entry.prev_hash, entry) != entry.hash:
        return "记录内容与其哈希不符：该记录被改动"
    return ""


def verify_chain(batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Return (entries verified, first break or None)."""
    report = check_chain(batch_size)
    return report.checked, report.first_break

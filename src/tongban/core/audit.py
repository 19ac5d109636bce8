"""The audit log: one helper (`record`) that every service calls, the SM3 hash chain, and its verification.

Each entry's hash is SM3 over the previous entry's hash and the entry's canonical JSON, so altering, removing or
reordering any row breaks every hash after it. Writers are serialised (a PostgreSQL advisory lock; SQLite's
IMMEDIATE transactions) so the chain stays linear under concurrency.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from tongban.core.crypto import sm3_hex
from tongban.core.middleware import current_request_context
from tongban.core.models import AuditEntry

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same in every process. (0x5442 = "TB")
_CHAIN_LOCK_KEY = 0x5442_0001


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
) -> AuditEntry:
    """Append one audit entry in the caller's transaction. `actor` may be None for the system (commands, jobs).

    Call it from services inside @transaction.atomic, after the change; the entry commits or rolls back with it.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction.atomic block")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    context = current_request_context()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        created_at=timezone.now(),
        actor=actor,
        actor_label=_label(actor) or "系统",
        acting_for=acting_for,
        acting_for_label=_label(acting_for),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:300],
        before=_jsonable(before),
        after=_jsonable(after),
        ip=context.ip,
        user_agent=context.user_agent,
        request_id=context.request_id,
    )
    _lock_chain()
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    entry.prev_hash = last or GENESIS_HASH
    entry.hash = chain_hash(entry.prev_hash, entry)
    entry.save(force_insert=True)
    return entry


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A before/after dict of a model's concrete fields (foreign keys as ids), for `record`."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: getattr(obj, name) for name in names}


@dataclass(frozen=True)
class ChainBreak:
    """Where verification failed: the first entry whose stored hashes do not match the recomputed chain."""

    entry_id: int
    reason: str


def iter_chain_breaks(batch_size: int = 2000) -> Iterator[ChainBreak]:
    """Walk the whole log in id order and yield the first break found (at most one)."""
    expected_prev = GENESIS_HASH
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return
        for entry in batch:
            if entry.prev_hash != expected_prev:
                yield ChainBreak(entry.id, "前一条哈希不一致（有记录被删除、插入或改动）")
                return
            if chain_hash(entry.prev_hash, entry) != entry.hash:
                yield ChainBreak(entry.id, "内容与哈希不符（该记录被改动）")
                return
            expected_prev = entry.hash
            last_id = entry.id


def verify_chain() -> tuple[int, ChainBreak | None]:
    """Return (entries checked, first break or None)."""
    first_break = next(iter_chain_breaks(), None)
    if first_break is not None:
        checked = AuditEntry.objects.filter(id__lt=first_break.entry_id).count()
        return checked, first_break
    return AuditEntry.objects.count(), None

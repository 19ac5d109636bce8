"""Data-key rotation: re-encrypt every EncryptedCharField value still under an older key with the active key.

Rotation is a sequence of small transactions (one per batch) so a large table never holds the write lock for the
whole run; each row is rewritten only if it still holds the ciphertext that was read (compare-and-set), so a
concurrent save is never overwritten. Running it again after an interruption finishes the job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, Value
from django.db.models.lookups import Exact

from tongban.core import audit
from tongban.core.crypto import DecryptionError
from tongban.core.pii import EncryptedCharField, active_key_id, stored_key_id


@dataclass
class FieldRotation:
    """What rotation found and did in one encrypted column."""

    label: str  # "accounts.User.phone"
    pending: int = 0  # values under an older key when the run started
    by_key: Counter = field(default_factory=Counter)  # old key id -> values seen
    rotated: int = 0
    skipped_concurrent: int = 0  # changed by someone else between read and write; already re-encrypted by that save
    failures: list[tuple[object, str]] = field(default_factory=list)  # (pk, reason)


@dataclass
class RotationReport:
    """Summary of one rotation run."""

    active_key_id: str
    fields: list[FieldRotation]

    @property
    def rotated(self) -> int:
        return sum(f.rotated for f in self.fields)

    @property
    def failed(self) -> int:
        return sum(len(f.failures) for f in self.fields)


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedCharField]]:
    """Every EncryptedCharField of every installed concrete model (each column once, on the model that owns it)."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.local_concrete_fields:
            if isinstance(model_field, EncryptedCharField):
                yield model, model_field


def _raw(model_field: EncryptedCharField) -> ExpressionWrapper:
    """The stored ciphertext, typed as plain text so the ORM neither decrypts it nor refuses lookups on it."""
    return ExpressionWrapper(F(model_field.attname), output_field=models.TextField())


def _rotate_field(model, model_field, *, active: str, batch_size: int, dry_run: bool, progress) -> FieldRotation:
    result = FieldRotation(label=f"{model._meta.label}.{model_field.name}")
    pending = (
        model._base_manager.annotate(_stored=_raw(model_field))
        .filter(_stored__isnull=False)
        .exclude(_stored="")
        .exclude(_stored__startswith=f"{active}:")
        .order_by("pk")
    )
    result.pending = pending.count()
    last_pk = None
    done = 0
    while True:
        page = pending if last_pk is None else pending.filter(pk__gt=last_pk)
        rows = list(page.values_list("pk", "_stored")[:batch_size])
        if not rows:
            break
        with transaction.atomic():
            for pk, stored in rows:
                result.by_key[stored_key_id(stored)] += 1
                try:
                    plaintext = model_field.decrypt(stored)
                except DecryptionError as error:
                    result.failures.append((pk, str(error)))
                    continue
                if dry_run:
                    continue
                updated = (
                    model._base_manager.filter(pk=pk)
                    .filter(Exact(_raw(model_field), stored))
                    .update(**{model_field.attname: Value(model_field.encrypt(plaintext), models.TextField())})
                )
                result.rotated += updated
                result.skipped_concurrent += 1 - updated
        last_pk = rows[-1][0]
        done += len(rows)
        progress(result, done)
    return result


def data_key_rotate(
    *,
    actor=None,
    batch_size: int = 500,
    dry_run: bool = False,
    progress: Callable[[FieldRotation, int], None] = lambda result, done: None,
) -> RotationReport:
    """Re-encrypt all values under older keys with the active (first) key of TONGBAN_DATA_KEYS and audit the run.

    Values that cannot be decrypted (key no longer configured, tampered) are left as they are and reported.
    """
    active = active_key_id()
    report = RotationReport(active_key_id=active, fields=[])
    for model, model_field in encrypted_fields():
        report.fields.append(
            _rotate_field(model, model_field, active=active, batch_size=batch_size, dry_run=dry_run, progress=progress)
        )
    if not dry_run:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="core.data_key.rotate",
                object_type="core.data_key",
                object_id=active,
                object_repr=f"数据加密密钥 {active}",
                before={f.label: dict(f.by_key) for f in report.fields if f.by_key},
                after={
                    "active_key_id": active,
                    "rotated": {f.label: f.rotated for f in report.fields if f.rotated},
                    "failed": {f.label: [str(pk) for pk, _ in f.failures] for f in report.fields if f.failures},
                },
            )
    return report

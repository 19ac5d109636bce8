"""Personal data at rest: SM4-GCM encrypted model fields, keyed blind indexes (HMAC-SM3) and masking helpers.

Keys come from settings: TONGBAN_DATA_KEYS is an ordered {key id: 16-byte SM4 key}; the first encrypts, any of
them decrypts, so keys rotate by putting a new one first and running `manage.py rotate_data_key`.
TONGBAN_INDEX_KEY keys the blind indexes. See docs/decisions/0002-national-crypto-and-pii.md.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.db.models.signals import post_save

from tongban.core.crypto import DecryptionError, hmac_sm3, sm4_gcm_decrypt, sm4_gcm_encrypt

__all__ = [
    "BlindIndexField",
    "DecryptionError",
    "EncryptedCharField",
    "EncryptedLookupError",
    "blind_index",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalise",
]


class EncryptedLookupError(FieldError):
    """A query tried to compare or search an encrypted column; only its blind index can be searched."""


# ---------------------------------------------------------------------------------------------------------------
# Encryption


def active_key_id() -> str:
    return next(iter(settings.TONGBAN_DATA_KEYS))


def stored_key_id(stored: str) -> str:
    """The key id a stored value was encrypted under ("" for an empty value)."""
    return stored.partition(":")[0] if stored else ""


def encrypt_text(plaintext: str, *, aad: bytes) -> str:
    """Encrypt under the active key: "<key id>:<base64(nonce || ciphertext || tag)>"."""
    key_id = active_key_id()
    blob = sm4_gcm_encrypt(settings.TONGBAN_DATA_KEYS[key_id], plaintext.encode("utf-8"), aad=aad)
    return f"{key_id}:{base64.b64encode(blob).decode('ascii')}"


def decrypt_text(stored: str, *, aad: bytes) -> str:
    """Inverse of encrypt_text under whichever configured key the value names; DecryptionError otherwise."""
    key_id, sep, body = stored.partition(":")
    if not sep:
        raise DecryptionError("stored value has no key id: not written by EncryptedCharField")
    key = settings.TONGBAN_DATA_KEYS.get(key_id)
    if key is None:
        raise DecryptionError(f"data key {key_id!r} is not configured in TONGBAN_DATA_KEYS")
    try:
        blob = base64.b64decode(body, validate=True)
    except binascii.Error:
        raise DecryptionError("stored value is not base64") from None
    return sm4_gcm_decrypt(key, blob, aad=aad).decode("utf-8")


class _EmptyOnlyExact(Exact):
    """`field=""` is allowed (it finds rows with no value); comparing a real value against ciphertext is not."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise self.lhs.output_field.lookup_refused("exact")
        return super().get_prep_lookup()


class EncryptedCharField(models.TextField):
    """A text value stored encrypted (SM4-GCM) as "<key id>:<base64 nonce|ciphertext|tag>"; read back as plain text.

    The model label and field name are the GCM associated data, so a ciphertext copied into another column (or
    another model) fails to decrypt instead of silently reading as that column's value.
    The attribute on an instance always holds plain text: decrypted in from_db_value, encrypted in get_prep_value.
    """

    @property
    def aad(self) -> bytes:
        return f"{self.model._meta.label_lower}.{self.name}".encode()

    def encrypt(self, plaintext: str) -> str:
        return encrypt_text(plaintext, aad=self.aad)

    def decrypt(self, stored: str) -> str:
        return decrypt_text(stored, aad=self.aad)

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return self.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return self.encrypt(value)

    def blind_index_field_name(self) -> str | None:
        for field in self.model._meta.get_fields():
            if isinstance(field, BlindIndexField) and field.source == self.name:
                return field.name
        return None

    def lookup_refused(self, lookup_name: str) -> EncryptedLookupError:
        index = self.blind_index_field_name()
        hint = (
            f'filter({index}=blind_index("{self.model._meta.get_field(index).purpose}", value))'
            if index
            else "add a BlindIndexField(source=...) for it"
        )
        return EncryptedLookupError(
            f"{self.model._meta.label}.{self.name} is encrypted (SM4-GCM with a random nonce): lookup "
            f"'{lookup_name}' cannot match ciphertext. Only isnull and exact \"\" work; search by the blind index: "
            f"{hint}."
        )

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        raise self.lookup_refused(lookup_name)

    def get_transform(self, lookup_name):
        raise self.lookup_refused(lookup_name)


# ---------------------------------------------------------------------------------------------------------------
# Blind index


def _normalise_text(value: str) -> str:
    # NFKC folds full-width digits and letters (３３０１…Ｘ typed on a Chinese keyboard) into ASCII.
    return unicodedata.normalize("NFKC", value).strip()


def _normalise_identifier(value: str) -> str:
    return "".join(_normalise_text(value).split()).upper()


def _normalise_phone(value: str) -> str:
    digits = re.sub(r"\D", "", _normalise_text(value))
    if len(digits) == 15 and digits.startswith("0086"):
        return digits[4:]
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "id_number": _normalise_identifier,
    "phone": _normalise_phone,
}


def normalise(purpose: str, value: str) -> str:
    """The canonical form hashed for a purpose: equal for every way a person may type the same value."""
    return _NORMALISERS.get(purpose, _normalise_text)(value or "")


@functools.lru_cache(maxsize=64)
def _purpose_key(index_key: bytes, purpose: str) -> bytes:
    # One derived key per purpose: the same digits as a phone and as an ID number give unrelated indexes.
    return hmac_sm3(index_key, b"tongban blind index\x00" + purpose.encode("utf-8"))


def blind_index(purpose: str, value: str) -> str:
    """Hex HMAC-SM3 of the normalised value under the purpose's key; "" for an empty value.

    Use it to look up by an encrypted field: User.objects.filter(id_number_index=blind_index("id_number", x)).
    """
    if not purpose:
        raise ValueError("blind_index needs a purpose")
    canonical = normalise(purpose, value)
    if not canonical:
        return ""
    return hmac_sm3(_purpose_key(settings.TONGBAN_INDEX_KEY, purpose), canonical.encode("utf-8")).hex()


class BlindIndexField(models.CharField):
    """A keyed HMAC-SM3 of another field's normalised value, for equality lookup without decrypting.

    Recomputed from `source` whenever the row is saved. Queryset.update() and bulk_update() bypass save and
    would leave it stale, so change encrypted sources through save().
    """

    def __init__(self, *args, source: str = "", purpose: str = "", **kwargs):
        self.source = source
        self.purpose = purpose
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def compute(self, instance: models.Model) -> str:
        return blind_index(self.purpose, getattr(instance, self.source) or "")

    def pre_save(self, model_instance, add):
        value = self.compute(model_instance)
        setattr(model_instance, self.attname, value)
        return value

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if not cls._meta.abstract:
            post_save.connect(_sync_partial_save, sender=cls, dispatch_uid=f"blind-index:{cls._meta.label}")

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if not self.purpose:
            errors.append(checks.Error("BlindIndexField needs a purpose.", obj=self, id="tongban.E001"))
        try:
            self.model._meta.get_field(self.source)
        except Exception:
            errors.append(
                checks.Error(f"BlindIndexField source {self.source!r} is not a field.", obj=self, id="tongban.E002")
            )
        return errors


def _sync_partial_save(sender, instance, update_fields=None, raw=False, **kwargs):
    """save(update_fields=[source]) skips the index's pre_save; write the index too so it never goes stale."""
    if raw or update_fields is None:
        return
    stale = {}
    for field in sender._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source in update_fields and field.name not in update_fields:
            stale[field.attname] = field.pre_save(instance, False)
    if stale:
        sender._base_manager.using(kwargs.get("using")).filter(pk=instance.pk).update(**stale)


# ---------------------------------------------------------------------------------------------------------------
# Masking


def _mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + (value[len(value) - keep_end :] if keep_end else "")


def mask_id_number(value: str) -> str:
    """Show the first and last four characters of an 18-character ID: 3301**********1234.

    Shorter documents keep a quarter at each end, so at least half is always hidden.
    """
    value = _normalise_identifier(value or "")
    keep = min(4, len(value) // 4)
    return _mask_middle(value, keep, keep)


def mask_phone(value: str) -> str:
    """Hide four digits before the last four: 138****5678 (a +86 prefix is kept as typed)."""
    value = "".join((value or "").split())
    if len(value) >= 11:
        return _mask_middle(value, len(value) - 8, 4)
    if len(value) >= 8:
        return _mask_middle(value, 0, 4)
    return "*" * len(value)


def mask_name(value: str) -> str:
    """Keep the first character only: 张三丰 → 张**, 张三 → 张*; a one-character name is fully hidden."""
    value = (value or "").strip()
    if len(value) <= 1:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 1)

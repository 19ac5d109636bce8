"""Personal data at rest: SM4-GCM encrypted model fields, keyed blind indexes (HMAC-SM3) and masking helpers."""

from __future__ import annotations

from django.db import models


class EncryptedCharField(models.TextField):
    """A text value stored encrypted (SM4-GCM) as "<key id>:<base64 nonce|ciphertext|tag>"; read back as plain text."""

    # Implementation in progress (see issue 2); the deconstructed form (path, arguments) is stable.


class BlindIndexField(models.CharField):
    """A keyed HMAC-SM3 of another field's normalised value, for equality lookup without decrypting."""

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

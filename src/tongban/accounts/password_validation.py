"""Password strength rule of the platform beside Django's own validators (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    """How many of letters, digits and other characters (symbols, spaces, Chinese characters) the password mixes."""
    letters = any(ch.isascii() and ch.isalpha() for ch in password)
    digits = any(ch.isdigit() for ch in password)
    others = any(not (ch.isascii() and ch.isalnum()) for ch in password)
    return letters + digits + others


class CharacterClassValidator:
    """At least two kinds of characters among letters, digits and symbols (GB/T 22239 等保: 复杂度要求)."""

    def __init__(self, min_classes: int = 2):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含字母、数字、符号中的至少两种。")

"""The staff second factor (动态口令): TOTP enrolment and verification (RFC 6238), single-use recovery codes, and
the administrator's reset for a lost phone.

Codes are 6 digits over 30-second steps; a code from the step before or after the current one is accepted (clock
drift), and a step is never accepted twice: `last_used_step` only moves forward, by a conditional UPDATE, so two
requests racing with the same code cannot both win. Recovery codes are stored as keyed HMAC-SM3 hashes bound to
the account, and are shown once, when generated.
"""

from __future__ import annotations

import hmac
import secrets
import time
import unicodedata
from dataclasses import dataclass

import pyotp
import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongban.accounts.access import require_system_admin
from tongban.accounts.errors import AccountsError
from tongban.accounts.models import RecoveryCode, TotpDevice, User, UserKind
from tongban.core import audit
from tongban.core.errors import DomainError
from tongban.core.pii import blind_index

ISSUER = "通办"
STEP_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # steps either side of now
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without the ones people confuse when copying by hand (0/o, 1/l/i).
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_HALF_LENGTH = 5


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the otpauth:// URI as an inline SVG QR code, and the secret to type in."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def secret_groups(self) -> list[str]:
        """The secret in groups of four characters, easier to type into an authenticator by hand."""
        return [self.secret[i : i + 4] for i in range(0, len(self.secret), 4)]


def _clock() -> float:
    """Seconds since the epoch; tests replace it to stand at a chosen time step."""
    return time.time()


def current_step() -> int:
    return int(_clock()) // STEP_SECONDS


def second_factor_required(user: User) -> bool:
    """Staff and superusers sign in with a password and then a dynamic code; people and enterprises do not."""
    return user.kind == UserKind.STAFF or user.is_superuser


def has_confirmed_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.username, issuer_name=ISSUER
    )
    qr_svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=_("动态口令绑定二维码"), svgclass="qr-code"
    )
    return Enrolment(secret=secret, uri=uri, qr_svg=qr_svg)


def totp_pending_enrolment(user: User) -> Enrolment | None:
    """The enrolment under way (an unconfirmed device), so reloading the page keeps the same secret."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    return _enrolment(user, device.secret) if device else None


@transaction.atomic
def totp_enrol_start(*, actor: User) -> Enrolment:
    """Create (or replace) the actor's unconfirmed device with a fresh secret; a confirmed device must be reset
    by a system administrator first."""
    device = TotpDevice.objects.select_for_update().filter(user=actor).first()
    if device is not None and device.confirmed_at is not None:
        raise DomainError(AccountsError.TOTP_ALREADY_ENROLLED)
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, the RFC 4226 recommendation
    if device is None:
        device = TotpDevice.objects.create(user=actor, secret=secret)
    else:
        device.secret = secret
        device.last_used_step = 0
        device.save(update_fields=["secret", "last_used_step"])
    audit.record(actor=actor, action="totp.enrol_start", obj=device, after={"confirmed": False})
    return _enrolment(actor, secret)


def _matching_step(secret: str, code: str) -> int | None:
    """The step within the window whose code equals `code` (constant-time comparison), or None."""
    code = "".join(unicodedata.normalize("NFKC", code or "").split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = current_step()
    matched = None
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def _take_step(device: TotpDevice, step: int) -> bool:
    """Move last_used_step forward to `step` unless it is already there or beyond (a replayed code)."""
    return TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step) == 1


@transaction.atomic
def totp_enrol_confirm(*, actor: User, code: str) -> list[str]:
    """Confirm the pending device with one valid code; returns 10 new recovery codes (shown once, stored hashed)."""
    device = TotpDevice.objects.select_for_update().filter(user=actor, confirmed_at__isnull=True).first()
    if device is None:
        raise DomainError(AccountsError.TOTP_NOT_ENROLLED)
    step = _matching_step(device.secret, code)
    if step is None or not _take_step(device, step):
        raise DomainError(
            AccountsError.TOTP_CODE_INVALID, fields={"code": [str(AccountsError.TOTP_CODE_INVALID.message)]}
        )
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    codes = _recovery_codes_replace(actor)
    audit.record(
        actor=actor,
        action="totp.enrol_confirm",
        obj=device,
        before={"confirmed": False},
        after={"confirmed": True, "recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def totp_verify(*, user: User, code: str) -> None:
    """Accept a code for the current step ±1 that is newer than the last accepted one; raise TOTP_CODE_INVALID."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise DomainError(AccountsError.TOTP_NOT_ENROLLED)
    step = _matching_step(device.secret, code)
    if step is None or not _take_step(device, step):
        raise DomainError(
            AccountsError.TOTP_CODE_INVALID, fields={"code": [str(AccountsError.TOTP_CODE_INVALID.message)]}
        )
    audit.record(actor=user, action="totp.verify", obj=device, after={"step": step})


# ---------------------------------------------------------------------------------------------------------------
# Recovery codes


def _new_recovery_code() -> str:
    half = RECOVERY_HALF_LENGTH
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(2 * half))
    return f"{raw[:half]}-{raw[half:]}"


def _recovery_hash(user: User, code: str) -> str:
    """Keyed hash of the code as typed (spaces, hyphens and case ignored), bound to the account."""
    canonical = "".join(ch for ch in unicodedata.normalize("NFKC", code or "").lower() if ch.isalnum())
    return blind_index("recovery_code", f"{user.pk}:{canonical}")


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = timezone.now()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(user, code), created_at=now) for code in codes
    )
    return codes


def recovery_codes_remaining(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def recovery_code_use(*, user: User, code: str) -> int:
    """Sign in with a recovery code instead of a dynamic code: each works once. Returns how many remain."""
    used = RecoveryCode.objects.filter(user=user, code_hash=_recovery_hash(user, code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if used != 1:
        raise DomainError(
            AccountsError.RECOVERY_CODE_INVALID, fields={"code": [str(AccountsError.RECOVERY_CODE_INVALID.message)]}
        )
    remaining = recovery_codes_remaining(user)
    audit.record(
        actor=user,
        action="recovery_code.use",
        obj=user,
        object_repr=str(user),
        after={"remaining": remaining},
    )
    return remaining


@transaction.atomic
def recovery_codes_regenerate(*, actor: User) -> list[str]:
    """Replace the actor's recovery codes with 10 new ones (the old ones stop working); needs a confirmed device."""
    if not has_confirmed_device(actor):
        raise DomainError(AccountsError.TOTP_NOT_ENROLLED)
    before = recovery_codes_remaining(actor)
    codes = _recovery_codes_replace(actor)
    audit.record(
        actor=actor,
        action="recovery_code.regenerate",
        obj=actor,
        before={"remaining": before},
        after={"remaining": len(codes)},
    )
    return codes


@transaction.atomic
def totp_reset(*, actor: User, user: User) -> None:
    """A system administrator removes a member of staff's authenticator and recovery codes (lost phone); the staff
    member enrols a new one at their next sign-in."""
    require_system_admin(actor)
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    before = {
        "enrolled": bool(device and device.confirmed_at),
        "recovery_codes": recovery_codes_remaining(user),
    }
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit.record(
        actor=actor,
        action="totp.reset",
        obj=user,
        before=before,
        after={"enrolled": False, "recovery_codes": 0},
    )

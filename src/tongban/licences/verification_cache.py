"""Public verification answers kept under the licence library's generation (核验结果缓存), by the rule of
core/generation_cache.py (decision 0012).

A licence is verified many times (each relying party that is shown it scans its QR code), and its answer changes
only when the licence, its type, its issuer or the certificate it was checked against is saved: a revocation, a
change (the old version superseded), the expiry job, a rename, a certificate revoked. Every such save starts a new
generation on commit, by the signals below (so an administrator's edit counts as much as a service's), and the bulk
updates that bypass signals call forget() themselves; the next verification after any of them reads the database
again, so a revocation shows at once, on every worker. What is not kept: an unknown or malformed identifier (raised,
never cached), an answer whose seal check is not stored yet, anything inside a transaction. A new licence starts no
generation: no earlier answer mentions it.

The key is the identifier as asked and the day (the status is read as of today: a licence past its last day reads as
expired from the next morning without any write). ANSWER_SECONDS is only a safety net.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from tongban.core.generation_cache import GenerationCache
from tongban.licences.selectors import VERIFICATION_COLUMNS

ANSWER_SECONDS = 60

ANSWERS = GenerationCache("licences:verification", ANSWER_SECONDS)

# What of a licence row an answer shows (the columns public verification reads) or was checked from (what the database
# triggers of migration 0002 watch), under either name of a foreign key. Saves of other columns only (the rendered
# PDF) change no answer.
SHOWN_COLUMNS = (frozenset(VERIFICATION_COLUMNS) - {"pk"}) | {
    "holder",
    "holder_id_number",
    "superseded_at",
    "data",
    "signature",
    "fields",
    "issuer",
    "issuer_id",
    "licence_type",
    "licence_type_id",
    "check_certificate",
}


def forget() -> None:
    """Serve no answer kept so far, once the current transaction commits."""
    ANSWERS.bump()


def _licence_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created:
        return
    if update_fields is not None and not SHOWN_COLUMNS.intersection(update_fields):
        return
    forget()


def _source_saved(sender, instance, created, **kwargs) -> None:
    if not created:  # a new type, organisation or certificate is in no answer yet
        forget()


def _deleted(sender, instance, **kwargs) -> None:
    forget()


def connect() -> None:
    """Listen for the saves that change answers (LicencesConfig.ready)."""
    from tongban.core.models import Organisation
    from tongban.licences.models import Certificate, Licence, LicenceType

    post_save.connect(_licence_saved, sender=Licence, dispatch_uid="licences.verification_cache.licence")
    post_delete.connect(_deleted, sender=Licence, dispatch_uid="licences.verification_cache.licence_deleted")
    for model in (LicenceType, Organisation, Certificate):
        post_save.connect(_source_saved, sender=model, dispatch_uid=f"licences.verification_cache.{model.__name__}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"licences.verification_cache.{model.__name__}-")

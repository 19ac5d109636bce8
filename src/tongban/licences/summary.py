"""The public summary of a licence (证照核验结果): what the verification page and API show to anyone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongban.licences import access, selectors
from tongban.licences.models import HolderIdType, Licence, LicenceStatus
from tongban.licences.verification import SealReport, stored_seal_report, verification_store
from tongban.licences.verification_cache import ANSWERS

STORE_ATTEMPTS = 3
T = TypeVar("T")


@dataclass
class VerificationSummary:
    """A licence as the public sees it: status, key fields, the holder's ID masked, and the seal check."""

    licence: selectors.PublicLicence
    status: str
    status_label: str
    holder_id_type_label: str
    holder_id_masked: str
    fields: list[tuple[str, str, str]]
    seal: SealReport

    @property
    def genuine(self) -> bool:
        """The data is sealed by the issuer and the chain verifies (whatever the status)."""
        return self.seal.signature_valid and self.seal.chain_valid

    @property
    def valid(self) -> bool:
        return self.genuine and self.status == LicenceStatus.VALID


def verification_summary(licence: selectors.PublicLicence) -> VerificationSummary:
    """Build the public summary of a licence loaded by `selectors.licence_for_public_check`: the status as of today
    and the stored seal check with its certificate's status now (revocations show at once), no cryptography."""
    status = selectors.licence_status(licence, timezone.localdate())
    return VerificationSummary(
        licence=licence,
        status=status,
        status_label=str(LicenceStatus(status).label),
        holder_id_type_label=str(HolderIdType(licence.holder_id_type).label),
        holder_id_masked=licence.public_id_number,
        fields=licence.public_fields,
        seal=stored_seal_report(licence.check_result),
    )


def kept_verification(identifier: str, kind: str, present: Callable[[VerificationSummary], T]) -> T:
    """present(the public summary for an identifier), kept between requests under `kind` until the licence library
    changes (licences/verification_cache.py): a repeated verification reads no database. IDENTIFIER_INVALID /
    LICENCE_NOT_FOUND are raised, never kept; nor is an answer whose seal check could not be stored."""
    unchecked = []

    def build() -> T:
        summary = _read_verification(identifier)
        if summary.licence.checked_at is None:
            unchecked.append(summary)
        return present(summary)

    return ANSWERS.remember(
        lambda: (kind, identifier, timezone.localdate().isoformat()),
        build,
        keep=lambda _value: not unchecked,
    )


def public_verification(identifier: str) -> VerificationSummary:
    """The public summary for an identifier, kept as it is (for pages, which render it for each request)."""
    return kept_verification(identifier, "summary", lambda summary: summary)


def _read_verification(identifier: str) -> VerificationSummary:
    """The public summary read from the database. The seal is checked on the first verification (and again after
    its data changed), stored, and only read from then on."""
    licence = access.licence_for_verification(identifier, find=selectors.licence_for_public_check)
    if licence.checked_at is None:
        for _attempt in range(STORE_ATTEMPTS):  # another attempt when the row changed while it was being checked
            if verification_store(Licence.objects.get(pk=licence.pk)):
                break
        licence = selectors.licence_for_public_check(licence.identifier)
    return verification_summary(licence)


# What each problem code of a verification means, for pages and the command line.
PROBLEM_LABELS = {
    "malformed": _("签章数据格式不正确"),
    "algorithm": _("签名算法不是 SM2/SM3"),
    "certificate_not_in_seal": _("签章证书不是印章中登记的证书"),
    "data_hash": _("证照数据已被改动（摘要不一致）"),
    "signature": _("签名值验证失败"),
    "certificate_unknown": _("签章证书不是本平台签发的"),
    "certificate_not_issuer": _("签章证书不属于颁证机构"),
    "certificate_revoked": _("签章证书已被吊销"),
    "chain": _("证书链验证失败"),
    "certificate_not_valid_at_signing": _("签章时证书不在有效期内"),
    "seal": _("电子印章的制章签名验证失败"),
    "certificate_mismatch": _("数据包中的证书与签章中的证书不一致"),
    "identifier_mismatch": _("签章所签的证照标识与数据不一致"),
    "identifier_check": _("证照标识校验位错误"),
    "not_pdf": _("文件不是 PDF"),
    "unsigned": _("PDF 没有电子签名"),
    "coverage": _("电子签名没有覆盖整个文件（签名后文件被追加或改动）"),
    "certificate": _("签名证书不是本平台颁发的"),
    "not_in_library": _("电子证照库中没有与该文件完全一致的证照"),
    "unchecked": _("证照数据正在变更，签章尚未核验，请稍后再试"),
}


def problem_labels(problems: list[str]) -> list[str]:
    """The problems in words (unknown codes as they are)."""
    return [str(PROBLEM_LABELS.get(code, code)) for code in problems]

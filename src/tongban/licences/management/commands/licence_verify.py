"""manage.py licence_verify FILE [--ca ROOT.pem]: check a licence data package offline.

Checks the GB/T 38540 seal signature over licence.json (SM3 data hash and SM2 signature), the seal's maker
signature, and the chain of the signer certificate to the SM2 root (the package's own, or the one given with --ca
— give the platform's published root to trust nothing inside the package). Exit status 0 when it verifies, 1 when not.
"""

from __future__ import annotations

from pathlib import Path

from asn1crypto import pem
from django.core.management.base import BaseCommand, CommandError

from tongban.licences.summary import problem_labels
from tongban.licences.verification import package_report


class Command(BaseCommand):
    help = "离线核验电子证照数据包（licence.json + signature.der + chain.pem）"

    def add_arguments(self, parser):
        parser.add_argument("file", help="证照数据包（ZIP）")
        parser.add_argument("--ca", help="信任的平台 SM2 根证书（PEM）；不给则使用数据包中的根证书")

    def handle(self, *args, file: str, ca: str | None = None, **options):
        try:
            blob = Path(file).read_bytes()
            root = None
            if ca:
                ca_bytes = Path(ca).read_bytes()
                root = pem.unarmor(ca_bytes)[2] if pem.detect(ca_bytes) else ca_bytes
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc}") from None
        report = package_report(blob, trusted_root_der=root)
        self.stdout.write(f"证照标识：{report.identifier or '-'}")
        self.stdout.write(f"持证主体：{report.holder_name or '-'}")
        self.stdout.write(f"颁证机构：{report.issuer or '-'}")
        self.stdout.write(f"根证书 SM3：{report.root_sm3 or '-'}")
        if report.valid:
            self.stdout.write(self.style.SUCCESS("核验通过：电子签章和证书链验证有效"))
            return
        for text in problem_labels(report.problems):
            self.stdout.write(self.style.ERROR(f"核验未通过：{text}"))
        raise SystemExit(1)

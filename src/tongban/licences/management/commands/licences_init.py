"""manage.py licences_init: the platform CAs, then keys, certificates and a seal for every active organisation."""

from django.core.management.base import BaseCommand

from tongban.licences.services import licences_init


class Command(BaseCommand):
    help = "建立平台 SM2/ECDSA 根证书，并为每个启用的机构签发印章证书、PDF 签名证书和电子印章（可重复执行）"

    def handle(self, *args, **options):
        report = licences_init(actor=None)
        self.stdout.write(
            f"根证书新建 {report.cas_created} 个，机构新签发证书 {report.organisations_keyed} 个，"
            f"新制电子印章 {report.seals_made} 枚"
        )

"""In the browser: someone handed a 食品经营许可证 checks it — by the identifier the QR code carries, then by uploading
the PDF — and after the licence is revoked the same page says so at once. Each page passes axe at WCAG 2.x AA."""

from __future__ import annotations

import pytest

from tongban.licences import services
from tongban.licences.pdf import VERIFY_PATH

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _serious(violations: list[str]) -> list[str]:
    return [line for line in violations if "(serious)" in line or "(critical)" in line]


def test_a_licence_is_verified_by_qr_and_by_upload_and_a_revocation_shows(open_page, issue, tmp_path):
    licence = issue()
    page = open_page()
    page.goto(VERIFY_PATH.format(identifier=licence.identifier) + f"?d={licence.data_sm3[:16]}")
    assert page.page.get_by_text("核验通过：该证照真实有效。").is_visible()
    assert page.page.locator('[data-check="signature"]').inner_text() == "验证通过"
    assert licence.holder_id_number not in page.page.content()
    assert _serious(page.axe_violations()) == []

    page.page.get_by_role("link", name="上传证照 PDF 文件进行核验").click()
    path = tmp_path / "licence.pdf"
    with licence.pdf.open("rb") as handle:
        path.write_bytes(handle.read())
    page.page.get_by_label("证照 PDF 文件").set_input_files(str(path))
    page.page.get_by_role("button", name="核验").click()
    assert page.page.get_by_role("heading", name="核验通过：文件与电子证照库中的证照一致，签名完整有效。").is_visible()
    assert _serious(page.axe_violations()) == []

    services.licence_revoke(actor=None, licence=licence, reason="许可被依法撤销")
    page.goto(VERIFY_PATH.format(identifier=licence.identifier))
    assert page.page.locator("[data-status]").inner_text() == "已撤销"
    assert page.page.get_by_text("许可被依法撤销").is_visible()

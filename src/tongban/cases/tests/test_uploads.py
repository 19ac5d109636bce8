"""Uploads: the type comes from the bytes, the size is limited, the bytes are kept once under their hash with a
generated name, the person's file name is only displayed, a scanner looks first, and every outcome is audited."""

from __future__ import annotations

import hashlib
import io
import socket
import struct
import threading
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.accounts.tests.identity_fixtures import person
from tongban.cases import uploads
from tongban.cases.errors import CaseError
from tongban.cases.models import StoredFile, Upload
from tongban.core.errors import DomainError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in entries.items():
            package.writestr(name, content)
    return buffer.getvalue()


OFD = _zip({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})


@pytest.fixture
def li(db):
    return person("13805710003", "李建国")


def _file(content: bytes, name: str = "申请书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _stored_paths() -> list[str]:
    """Every file under the upload directory (storage is a temporary directory per test)."""
    found = []

    def walk(directory: str) -> None:
        if not default_storage.exists(directory):
            return
        subdirs, files = default_storage.listdir(directory)
        found.extend(f"{directory}/{name}" for name in files)
        for subdir in subdirs:
            walk(f"{directory}/{subdir}")

    walk(uploads.STORAGE_DIR)
    return sorted(found)


def _refusals(actor) -> list[dict]:
    return list(AuditEntry.objects.filter(actor=actor, action="cases.upload.refuse").values_list("after", flat=True))


def test_a_pdf_is_kept_under_its_hash_with_a_generated_name(li):
    upload = uploads.upload_store(actor=li, file=_file(PDF))
    digest = hashlib.sha256(PDF).hexdigest()
    stored = upload.file
    assert (stored.sha256, stored.size, stored.content_type, stored.extension) == (
        digest,
        len(PDF),
        "application/pdf",
        "pdf",
    )
    assert stored.storage_name == f"cases/files/{digest[:2]}/{digest}.pdf"
    assert stored.scan_status == StoredFile.ScanStatus.NOT_SCANNED and stored.scanner == ""
    assert upload.original_name == "申请书.pdf" and upload.uploaded_by == li
    with default_storage.open(stored.storage_name) as handle:
        assert handle.read() == PDF
    entry = AuditEntry.objects.get(action="cases.upload.store")
    assert entry.actor == li and entry.object_id == str(upload.pk)
    assert entry.after == {
        "sha256": digest,
        "size": len(PDF),
        "content_type": "application/pdf",
        "name": "申请书.pdf",
        "scan": "not_scanned",
    }


def test_the_same_bytes_are_stored_once_and_each_upload_is_recorded(li):
    other = person("13805710009", "王芳")
    first = uploads.upload_store(actor=li, file=_file(PDF, "a.pdf"))
    second = uploads.upload_store(actor=other, file=_file(PDF, "b.pdf"))
    assert first.file_id == second.file_id and StoredFile.objects.count() == 1
    assert list(Upload.objects.order_by("pk").values_list("original_name", "uploaded_by")) == [
        ("a.pdf", li.pk),
        ("b.pdf", other.pk),
    ]
    assert _stored_paths() == [first.file.storage_name]


@pytest.mark.parametrize(
    ("content", "name", "content_type", "extension"),
    [
        (JPEG, "照片.pdf", "image/jpeg", "jpg"),  # the name says PDF, the bytes say JPEG: the bytes win
        (PNG, "平面图", "image/png", "png"),
        (OFD, "营业执照.ofd", "application/ofd", "ofd"),
    ],
)
def test_the_type_comes_from_the_content(li, content, name, content_type, extension):
    stored = uploads.upload_store(actor=li, file=_file(content, name)).file
    assert (stored.content_type, stored.extension) == (content_type, extension)
    assert stored.storage_name.endswith(f"{stored.sha256}.{extension}")


@pytest.mark.parametrize(
    "content",
    [
        EXE,  # a program renamed .pdf
        _zip({"word/document.xml": b"<w/>"}),  # a ZIP that is not an OFD package
        b"PK\x03\x04 not really a zip",
        b"<html><script>alert(1)</script></html>",
    ],
)
def test_a_forbidden_type_disguised_by_its_name_is_refused_and_nothing_is_kept(li, content):
    with pytest.raises(DomainError) as caught:
        uploads.upload_store(actor=li, file=_file(content, "申请书.pdf"))
    assert caught.value.code == CaseError.FILE_TYPE
    assert "PDF、JPG、PNG 或 OFD" in caught.value.message
    assert StoredFile.objects.count() == 0 and Upload.objects.count() == 0 and _stored_paths() == []
    assert _refusals(li) == [
        {"refused": "cases.file_type", "reason": "file_type", "name": "申请书.pdf", "size": len(content)}
    ]


def test_an_oversize_file_is_refused_before_it_is_read(li, settings):
    settings.TONGBAN_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(DomainError) as caught:
        uploads.upload_store(actor=li, file=_file(PDF + b"0" * 1024, "大文件.pdf"))
    assert caught.value.code == CaseError.FILE_TOO_LARGE
    assert caught.value.message == "文件超过 1 KB，请压缩后重新上传"
    assert StoredFile.objects.count() == 0 and _stored_paths() == []
    assert _refusals(li)[0]["refused"] == "cases.file_too_large"


def test_a_stream_without_a_declared_size_is_measured_while_reading(li, settings):
    settings.TONGBAN_UPLOAD_MAX_BYTES = 1024
    stream = ContentFile(PDF + b"0" * 2048, name="x.pdf")
    stream.size = None  # a client that sent no length: counting the bytes read still stops it
    with pytest.raises(DomainError) as caught:
        uploads.upload_store(actor=li, file=stream)
    assert caught.value.code == CaseError.FILE_TOO_LARGE
    exact = ContentFile(PDF + b"0" * (1024 - len(PDF)), name="刚好.pdf")
    assert uploads.upload_store(actor=li, file=exact).file.size == 1024


def test_an_empty_file_is_refused(li):
    with pytest.raises(DomainError) as caught:
        uploads.upload_store(actor=li, file=_file(b"", "空.pdf"))
    assert caught.value.code == CaseError.FILE_EMPTY
    assert caught.value.message == "文件是空的，请重新选择"
    assert Upload.objects.count() == 0 and _refusals(li)[0]["refused"] == "cases.file_empty"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\申请书.pdf", "申请书.pdf"),
        ("C:\\Users\\李建国\\Desktop\\营业执照.pdf", "营业执照.pdf"),
        ("/var/www/.htaccess", "htaccess"),
        ("营业\x00执照\r\n.pdf", "营业执照.pdf"),
        ("\u202egpj.exe", "gpj.exe"),  # right-to-left override: shown as typed, not reversed
        ("../", "未命名文件"),
        ("", "未命名文件"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_the_given_name_is_only_a_cleaned_display_name(li, given, shown):
    # A plain File keeps the name exactly as given (Django's UploadedFile would already drop "../" parts).
    upload = uploads.upload_store(actor=li, file=ContentFile(PDF, name=given))
    assert upload.original_name == shown
    digest = hashlib.sha256(PDF).hexdigest()
    assert upload.file.storage_name == f"cases/files/{digest[:2]}/{digest}.pdf"
    assert _stored_paths() == [upload.file.storage_name]


def test_the_scanner_is_the_configured_class(settings):
    settings.TONGBAN_MALWARE_SCANNER = "tongban.cases.uploads.ClamdScanner"
    settings.TONGBAN_CLAMD_ADDRESS = "127.0.0.1:3310"
    scanner = uploads.configured_scanner()
    assert isinstance(scanner, uploads.ClamdScanner) and scanner.address == "127.0.0.1:3310"
    settings.TONGBAN_MALWARE_SCANNER = "tongban.cases.uploads.NoMalwareScanner"
    assert isinstance(uploads.configured_scanner(), uploads.NoMalwareScanner)


# ---------------------------------------------------------------------------------------------------------------
# ClamdScanner against a fake clamd speaking INSTREAM


class FakeClamd:
    """A one-thread clamd: reads an INSTREAM request, records the bytes, answers FOUND for EICAR, else OK."""

    def __init__(self, family=socket.AF_INET, path: str = ""):
        self.server = socket.socket(family, socket.SOCK_STREAM)
        self.server.bind(path or ("127.0.0.1", 0))
        self.server.listen(4)
        self.address = path or f"127.0.0.1:{self.server.getsockname()[1]}"
        self.commands: list[bytes] = []
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, conn, size: int) -> bytes:
        data = b""
        while len(data) < size:
            block = conn.recv(size - len(data))
            if not block:
                raise ConnectionError("short read")
            data += block
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                self.commands.append(self._read(conn, len(b"zINSTREAM\0")))
                content = b""
                while True:
                    (length,) = struct.unpack(">I", self._read(conn, 4))
                    if length == 0:
                        break
                    content += self._read(conn, length)
                self.received.append(content)
                answer = b"stream: Eicar-Test-Signature FOUND\0" if b"EICAR" in content else b"stream: OK\0"
                conn.sendall(answer)

    def close(self) -> None:
        # close() alone leaves the thread blocked in accept() on Linux, and the port still listening: a later test's
        # connection (once, the browser's request to the live server) would then be swallowed by this fake.
        # shutdown() wakes accept() with an error, so the thread ends here.
        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self.thread.join(5)
        assert not self.thread.is_alive(), "fake clamd thread did not stop"


@pytest.fixture
def clamd(settings):
    fake = FakeClamd()
    settings.TONGBAN_MALWARE_SCANNER = "tongban.cases.uploads.ClamdScanner"
    settings.TONGBAN_CLAMD_ADDRESS = fake.address
    yield fake
    fake.close()


def test_clamd_clean_file_is_stored_as_scanned(li, clamd):
    upload = uploads.upload_store(actor=li, file=_file(PDF))
    assert clamd.commands == [b"zINSTREAM\0"] and clamd.received == [PDF]
    assert (upload.file.scan_status, upload.file.scanner) == (StoredFile.ScanStatus.CLEAN, "clamd")


def test_clamd_streams_large_files_in_chunks(li, clamd):
    content = PDF + bytes(range(256)) * 1024  # several 64 KiB chunks
    uploads.upload_store(actor=li, file=_file(content))
    assert clamd.received == [content]


def test_clamd_infected_file_is_refused_audited_and_not_kept(li, clamd):
    with pytest.raises(DomainError) as caught:
        uploads.upload_store(actor=li, file=_file(b"%PDF-1.4\n" + EICAR, "发票.pdf"))
    assert caught.value.code == CaseError.FILE_INFECTED
    assert StoredFile.objects.count() == 0 and Upload.objects.count() == 0 and _stored_paths() == []
    assert _refusals(li) == [
        {
            "refused": "cases.file_infected",
            "reason": "file_infected",
            "name": "发票.pdf",
            "size": len(b"%PDF-1.4\n" + EICAR),
            "signature": "Eicar-Test-Signature",
        }
    ]


def test_a_file_first_stored_unscanned_is_marked_clean_when_clamd_passes_it(li, settings):
    first = uploads.upload_store(actor=li, file=_file(PDF))
    assert first.file.scan_status == StoredFile.ScanStatus.NOT_SCANNED
    fake = FakeClamd()
    settings.TONGBAN_MALWARE_SCANNER = "tongban.cases.uploads.ClamdScanner"
    settings.TONGBAN_CLAMD_ADDRESS = fake.address
    try:
        second = uploads.upload_store(actor=li, file=_file(PDF))
    finally:
        fake.close()
    assert second.file_id == first.file_id
    assert StoredFile.objects.get().scan_status == StoredFile.ScanStatus.CLEAN


def test_clamd_over_a_unix_socket(li, settings, tmp_path):
    path = str(tmp_path / "clamd.sock")
    fake = FakeClamd(socket.AF_UNIX, path)
    settings.TONGBAN_MALWARE_SCANNER = "tongban.cases.uploads.ClamdScanner"
    settings.TONGBAN_CLAMD_ADDRESS = path
    try:
        upload = uploads.upload_store(actor=li, file=_file(PNG, "图.png"))
    finally:
        fake.close()
    assert fake.received == [PNG] and upload.file.scan_status == StoredFile.ScanStatus.CLEAN


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("address", ["closed", "", "/nonexistent/clamd.sock"])
def test_clamd_unreachable_refuses_the_upload(li, settings, address):
    settings.TONGBAN_MALWARE_SCANNER = "tongban.cases.uploads.ClamdScanner"
    settings.TONGBAN_CLAMD_ADDRESS = f"127.0.0.1:{_closed_port()}" if address == "closed" else address
    with pytest.raises(DomainError) as caught:
        uploads.upload_store(actor=li, file=_file(PDF))
    assert caught.value.code == CaseError.SCANNER_UNAVAILABLE
    assert caught.value.code.status == 503
    assert StoredFile.objects.count() == 0 and _stored_paths() == []
    assert _refusals(li)[0]["refused"] == "cases.scanner_unavailable"


def test_clamd_error_reply_counts_as_unavailable(li, settings):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_error():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"INSTREAM size limit exceeded. ERROR\0")

    thread = threading.Thread(target=answer_error, daemon=True)
    thread.start()
    settings.TONGBAN_MALWARE_SCANNER = "tongban.cases.uploads.ClamdScanner"
    settings.TONGBAN_CLAMD_ADDRESS = f"127.0.0.1:{server.getsockname()[1]}"
    try:
        with pytest.raises(DomainError) as caught:
            uploads.upload_store(actor=li, file=_file(b"%PDF-1.4 tiny"))
    finally:
        thread.join(5)
        server.close()
    assert caught.value.code == CaseError.SCANNER_UNAVAILABLE

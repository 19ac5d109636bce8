"""Material uploads (申请材料电子件): type sniffed from the bytes, size limit, content-addressed storage, malware scan.

`upload_store(actor=…, file=…)` is the one way a file enters the platform (the apply pages, the counter pages and the
API call it). What it guarantees:
- the type is recognised from the content (PDF, JPEG, PNG, or OFD: a ZIP holding OFD.xml), never from the name, so
  an .exe renamed .pdf is refused;
- an empty file or one over settings.TONGBAN_UPLOAD_MAX_BYTES is refused;
- the bytes are kept once under their SHA-256 with a generated name (cases/files/ab/<sha256>.<ext>); the name the
  person gave is only a display name, stripped of any path and control characters, and never reaches storage;
- the configured scanner (settings.TONGBAN_MALWARE_SCANNER, a dotted path) looks at the bytes before they are kept;
- a stored upload writes an audit row; a refused one stores nothing and writes an audit row of the refusal.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tongban.accounts.refusals import refuse
from tongban.cases.errors import CaseError
from tongban.cases.models import StoredFile, Upload
from tongban.core import audit
from tongban.core.errors import DomainError

CHUNK = 64 * 1024
MAX_DISPLAY_NAME = 200
STORAGE_DIR = "cases/files"
# What a person is told they may upload (the apply pages show it beside each file input).
ACCEPTED_LABEL = "PDF、JPG、PNG、OFD"
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,.ofd,application/pdf,image/jpeg,image/png"


@dataclass(frozen=True)
class FileKind:
    """A type of file the platform accepts."""

    content_type: str
    extension: str


PDF = FileKind("application/pdf", "pdf")
JPEG = FileKind("image/jpeg", "jpg")
PNG = FileKind("image/png", "png")
OFD = FileKind("application/ofd", "ofd")


def max_upload_bytes() -> int:
    return settings.TONGBAN_UPLOAD_MAX_BYTES


def max_upload_label() -> str:
    """The size limit as people read it ("20 MB")."""
    size = max_upload_bytes()
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{max(size // 1024, 1)} KB"


# ---------------------------------------------------------------------------------------------------------------
# Reading the file


def _rewind(file: IO[bytes]) -> None:
    file.seek(0)


def _chunks(file: IO[bytes]):
    _rewind(file)
    while True:
        block = file.read(CHUNK)
        if not block:
            return
        yield block


def _measure(file: IO[bytes]) -> tuple[int, str]:
    """(size, sha256) of the content; refuses an empty file, and a large one before reading it all."""
    declared = getattr(file, "size", None)
    limit = max_upload_bytes()
    if declared is not None and declared > limit:
        raise DomainError(CaseError.FILE_TOO_LARGE, _("文件超过 %(limit)s，请压缩后重新上传") % _limit())
    digest, size = hashlib.sha256(), 0
    for block in _chunks(file):
        size += len(block)
        if size > limit:
            raise DomainError(CaseError.FILE_TOO_LARGE, _("文件超过 %(limit)s，请压缩后重新上传") % _limit())
        digest.update(block)
    if size == 0:
        raise DomainError(CaseError.FILE_EMPTY)
    return size, digest.hexdigest()


def _limit() -> dict:
    return {"limit": max_upload_label()}


def sniff(file: IO[bytes]) -> FileKind | None:
    """The kind of file from its first bytes (and, for a ZIP, its entries), or None when it is not accepted."""
    _rewind(file)
    head = file.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04") and _is_ofd(file):
        return OFD
    return None


def _is_ofd(file: IO[bytes]) -> bool:
    """An OFD document (GB/T 33190) is a ZIP package whose entry point is OFD.xml at its root."""
    _rewind(file)
    try:
        with zipfile.ZipFile(file) as package:
            return "OFD.xml" in package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def display_name(name: str | None) -> str:
    """The name the person gave, for display only: no directories, no control characters, at most 200 characters."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    if not cleaned:
        return _("未命名文件")
    if len(cleaned) <= MAX_DISPLAY_NAME:
        return cleaned
    stem, dot, extension = cleaned.rpartition(".")
    if dot and len(extension) <= 10:
        return stem[: MAX_DISPLAY_NAME - len(extension) - 1] + "." + extension
    return cleaned[:MAX_DISPLAY_NAME]


def storage_path(sha256: str, kind: FileKind) -> str:
    """Where the bytes live: generated from the hash alone, so no name a person types can reach the file system."""
    return f"{STORAGE_DIR}/{sha256[:2]}/{sha256}.{kind.extension}"


# ---------------------------------------------------------------------------------------------------------------
# Malware scanning


@dataclass(frozen=True)
class ScanResult:
    """What a scanner said: clean, not scanned, or infected (with the signature name)."""

    status: str  # StoredFile.ScanStatus value, or INFECTED
    scanner: str
    signature: str = ""

    INFECTED = "infected"


class NoMalwareScanner:
    """The default hook: scans nothing and says so (files are marked 未配置扫描)."""

    name = ""

    def scan(self, file: IO[bytes]) -> ScanResult:
        return ScanResult(StoredFile.ScanStatus.NOT_SCANNED, self.name)


class ClamdScanner:
    """Asks a ClamAV daemon over its INSTREAM protocol (TCP host:port or a Unix socket, TONGBAN_CLAMD_ADDRESS).

    Protocol: send b"zINSTREAM\\0", then chunks each prefixed by their length as a 4-byte big-endian integer, then a
    zero length; clamd answers "stream: OK", "stream: <signature> FOUND" or "<message> ERROR", ending with a NUL.
    """

    name = "clamd"
    timeout = 30.0

    def __init__(self, address: str | None = None):
        self.address = address if address is not None else (settings.TONGBAN_CLAMD_ADDRESS or "")

    def _connect(self) -> socket.socket:
        address = self.address.strip()
        if address.startswith("unix://"):
            address = address[len("unix://") :]
        if address.startswith("tcp://"):
            address = address[len("tcp://") :]
        if not address:
            raise OSError("TONGBAN_CLAMD_ADDRESS is not set")
        if address.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(address)
            return sock
        host, _sep, port = address.rpartition(":")
        return socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=self.timeout)

    def scan(self, file: IO[bytes]) -> ScanResult:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for block in _chunks(file):
                    sock.sendall(struct.pack(">I", len(block)) + block)
                sock.sendall(struct.pack(">I", 0))
                reply = _read_reply(sock)
        except (OSError, ValueError) as error:
            raise DomainError(CaseError.SCANNER_UNAVAILABLE) from error
        return self._verdict(reply)

    def _verdict(self, reply: str) -> ScanResult:
        if reply.endswith("FOUND"):
            signature = reply.split(":", 1)[-1].removesuffix("FOUND").strip()
            return ScanResult(ScanResult.INFECTED, self.name, signature)
        if reply.endswith("OK"):
            return ScanResult(StoredFile.ScanStatus.CLEAN, self.name)
        raise DomainError(CaseError.SCANNER_UNAVAILABLE)  # "… ERROR": e.g. clamd's stream size limit


def _read_reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        block = sock.recv(4096)
        if not block:
            break
        data += block
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def configured_scanner():
    """An instance of the class named by settings.TONGBAN_MALWARE_SCANNER."""
    return import_string(settings.TONGBAN_MALWARE_SCANNER)()


# ---------------------------------------------------------------------------------------------------------------
# Storing


def _checked(file: IO[bytes]) -> tuple[int, str, FileKind, ScanResult]:
    size, sha256 = _measure(file)
    kind = sniff(file)
    if kind is None:
        raise DomainError(CaseError.FILE_TYPE)
    return size, sha256, kind, configured_scanner().scan(file)


def _save_bytes(file: IO[bytes], path: str) -> str:
    if default_storage.exists(path):
        return path  # the same content is already there under its hash
    _rewind(file)
    return default_storage.save(path, file)


def _stored_file(file: IO[bytes], size: int, sha256: str, kind: FileKind, result: ScanResult) -> StoredFile:
    """The StoredFile for this content: the existing row (its scan refreshed when this one scanned), or a new one."""
    stored = StoredFile.objects.filter(sha256=sha256).first()
    if stored is None:
        storage_name = _save_bytes(file, storage_path(sha256, kind))
        try:
            with transaction.atomic():
                return StoredFile.objects.create(
                    sha256=sha256,
                    size=size,
                    content_type=kind.content_type,
                    extension=kind.extension,
                    storage_name=storage_name,
                    scan_status=result.status,
                    scanner=result.scanner,
                )
        except IntegrityError:  # the same bytes arrived at the same moment from someone else
            stored = StoredFile.objects.get(sha256=sha256)
    if result.status == StoredFile.ScanStatus.CLEAN and stored.scan_status != result.status:
        stored.scan_status, stored.scanner = result.status, result.scanner
        stored.save(update_fields=["scan_status", "scanner"])
    return stored


def upload_store(*, actor, file) -> Upload:
    """Check, scan and keep an uploaded file for `actor`; raises DomainError(CaseError.FILE_…) and audits a refusal."""
    name = display_name(getattr(file, "name", ""))
    try:
        size, sha256, kind, result = _checked(file)
    except DomainError as error:
        refuse(error, actor=actor, action="cases.upload.refuse", name=name, size=getattr(file, "size", None))
    if result.status == ScanResult.INFECTED:
        error = DomainError(CaseError.FILE_INFECTED)
        refuse(error, actor=actor, action="cases.upload.refuse", name=name, size=size, signature=result.signature)
    with transaction.atomic():
        stored = _stored_file(file, size, sha256, kind, result)
        upload = Upload.objects.create(file=stored, uploaded_by=actor, original_name=name)
        audit.record(
            actor=actor,
            action="cases.upload.store",
            obj=upload,
            after={
                "sha256": sha256,
                "size": size,
                "content_type": kind.content_type,
                "name": name,
                "scan": result.status,
            },
        )
    return upload

"""Rendering issued documents through the outbox, and serving them: idempotent, retried on failure, on demand."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from tongban.cases import document_files, outbox_handlers
from tongban.cases.documents import RENDER_TOPIC
from tongban.cases.errors import CaseError
from tongban.cases.models import CaseDocument
from tongban.cases.tests.fixtures import *  # noqa: F403
from tongban.cases.tests.fixtures import submitted_case
from tongban.core import outbox
from tongban.core.errors import DomainError
from tongban.core.models import OutboxMessage

pytestmark = pytest.mark.django_db
READY, PENDING, FAILED = (CaseDocument.RenderStatus.READY, CaseDocument.RenderStatus.PENDING, "failed")


@pytest.fixture
def receipt(food_item, applicants) -> CaseDocument:
    return submitted_case(applicants["li"], food_item).documents.get()


def render_message(document: CaseDocument) -> OutboxMessage:
    return OutboxMessage.objects.get(topic=RENDER_TOPIC, payload__document=document.pk)


def make_due(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())


def broken_renderer(document):
    raise OSError("disk full")


def test_issued_document_is_pending_until_the_outbox_renders_it(receipt):
    assert receipt.status == PENDING and not receipt.file and receipt.sha256 == ""
    message = render_message(receipt)
    assert message.payload == {"document": receipt.pk}
    assert outbox.deliver(message.pk) == outbox.Outcome.DONE
    receipt.refresh_from_db()
    assert receipt.status == READY and receipt.rendered_at is not None
    assert receipt.file.name == f"cases/documents/{receipt.sha256[:2]}/{receipt.sha256}.pdf"
    with default_storage.open(receipt.file.name, "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-") and hashlib.sha256(content).hexdigest() == receipt.sha256


def test_a_redelivered_message_for_a_ready_document_does_nothing(receipt, monkeypatch):
    message = render_message(receipt)
    outbox.deliver(message.pk)
    receipt.refresh_from_db()
    before = (receipt.file.name, receipt.sha256, receipt.rendered_at, receipt.status)
    monkeypatch.setattr(document_files, "render_document_pdf", broken_renderer)  # would fail if it rendered again
    outbox_handlers.render_document(message.pk, message.payload)
    receipt.refresh_from_db()
    assert (receipt.file.name, receipt.sha256, receipt.rendered_at, receipt.status) == before
    assert len(default_storage.listdir(f"cases/documents/{receipt.sha256[:2]}")[1]) == 1


def test_a_failure_is_retried_and_marked_failed_after_repeated_attempts(receipt, monkeypatch):
    message = render_message(receipt)
    monkeypatch.setattr(document_files, "render_document_pdf", broken_renderer)
    assert outbox.deliver(message.pk) == outbox.Outcome.RETRY
    message.refresh_from_db()
    receipt.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, "OSError: disk full")
    assert message.available_at > timezone.now()
    assert receipt.status == PENDING and not receipt.file

    OutboxMessage.objects.filter(pk=message.pk).update(attempts=outbox_handlers.FAILED_AFTER_ATTEMPTS - 1)
    make_due(message)
    assert outbox.deliver(message.pk) == outbox.Outcome.RETRY
    receipt.refresh_from_db()
    assert receipt.status == FAILED and not receipt.file

    monkeypatch.undo()
    make_due(message)
    assert outbox.deliver(message.pk) == outbox.Outcome.DONE
    receipt.refresh_from_db()
    message.refresh_from_db()
    assert receipt.status == READY and message.status == "done"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_download_renders_a_pending_document_on_the_spot(receipt):
    response = document_files.document_response(receipt)
    receipt.refresh_from_db()
    assert receipt.status == READY
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = _body(response)
    assert hashlib.sha256(content).hexdigest() == receipt.sha256
    chinese = quote(f"办件回执（{receipt.number}）.pdf", safe="")
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"receipt-{receipt.case.number}.pdf\"; filename*=UTF-8''{chinese}"
    )
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    # The outbox arriving afterwards finds it ready and does nothing.
    assert outbox.deliver(render_message(receipt).pk) == outbox.Outcome.DONE
    receipt.refresh_from_db()
    assert receipt.file.name == f"cases/documents/{receipt.sha256[:2]}/{receipt.sha256}.pdf"


def test_a_lost_file_is_rendered_again_identically(receipt):
    ready = document_files.document_render(receipt.pk)
    default_storage.delete(ready.file.name)
    content = _body(document_files.document_response(ready))
    assert hashlib.sha256(content).hexdigest() == ready.sha256
    assert default_storage.exists(ready.file.name)


def test_download_when_rendering_fails_is_a_clear_error(receipt, monkeypatch):
    monkeypatch.setattr(document_files, "render_document_pdf", broken_renderer)
    with pytest.raises(DomainError) as caught:
        document_files.document_response(receipt)
    assert caught.value.code == CaseError.DOCUMENT_UNAVAILABLE
    receipt.refresh_from_db()
    assert receipt.status == PENDING and not receipt.file


def test_a_truncated_file_left_by_a_killed_worker_is_replaced(receipt):
    expected = document_files.document_render(receipt.pk)
    with default_storage.open(expected.file.name, "rb") as handle:
        good = handle.read()
    default_storage.delete(expected.file.name)
    default_storage.save(expected.file.name, ContentFile(good[:100]))  # what a SIGKILL mid-write leaves
    CaseDocument.objects.filter(pk=receipt.pk).update(status=PENDING, file="", sha256="")
    rendered = document_files.document_render(receipt.pk)
    assert rendered.file.name == expected.file.name and rendered.sha256 == expected.sha256
    with default_storage.open(rendered.file.name, "rb") as handle:
        assert handle.read() == good

"""Outbox handlers of cases: side effects that run after the decision that caused them has committed."""

from __future__ import annotations

import logging

from tongban.cases.decisions import LICENCE_TOPIC, case_licence_issue
from tongban.cases.document_files import document_mark_failed, document_render
from tongban.cases.documents import RENDER_TOPIC
from tongban.core import outbox
from tongban.core.models import OutboxMessage

logger = logging.getLogger(__name__)

# The outbox never gives up (it retries with backoff capped at an hour); after this many failed attempts the
# document shows 生成失败 instead of 生成中, so staff notice, while retries (and a first download) can still fix it.
FAILED_AFTER_ATTEMPTS = 5


@outbox.handler(RENDER_TOPIC)
def render_document(message_id: int, payload: dict) -> None:
    """Render the issued document's PDF (payload {"document": id}). A ready document is left alone, so a
    re-delivered message does nothing; a failure raises, and the outbox retries it."""
    document_id = payload["document"]
    try:
        document_render(document_id)
    except Exception:
        attempts = OutboxMessage.objects.filter(pk=message_id).values_list("attempts", flat=True).first() or 0
        if attempts >= FAILED_AFTER_ATTEMPTS:
            logger.error("case document %s still not rendered after %s attempts", document_id, attempts)
            document_mark_failed(document_id)
        raise


@outbox.handler(LICENCE_TOPIC)
def issue_licence(message_id: int, payload: dict) -> None:
    """Issue the licence of a granted case (payload {"case": id}); idempotent by case (cases/decisions.py). A
    failure (e.g. the organisation has no keys yet) raises: the outbox retries and the case shows 签发失败，正在重试."""
    case_licence_issue(case_id=payload["case"])

"""Outbox handlers of licences: render and PAdES-sign a licence's PDF after the issuing transaction commits."""

from __future__ import annotations

from tongban.core import outbox
from tongban.licences import services


@outbox.handler(services.RENDER_TOPIC)
def render_pdf(message_id: int, payload: dict) -> None:
    """Render the licence PDF; idempotent (a licence already rendered is left alone). A failure is recorded on the
    licence and re-raised so the outbox retries with backoff."""
    try:
        services.licence_pdf_render(licence_id=payload["licence_id"])
    except Exception as exc:
        services.licence_render_failed(licence_id=payload["licence_id"], error=f"{type(exc).__name__}: {exc}")
        raise

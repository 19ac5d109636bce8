"""Telling people things: a site message always, and a text message when the account has a phone number.

Callers run inside their own transaction: the message row commits with the change it reports, and the SMS goes
through the outbox, so it is sent after commit and survives a broker outage.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tongban.accounts.sms import enqueue_sms
from tongban.core import audit
from tongban.core.db.writes import insert_many
from tongban.notifications.models import Message
from tongban.notifications.selectors import forget_unread_counts

# An SMS is at most a few segments; the site message keeps the full text.
SMS_MAX_LENGTH = 200


def notify(*, recipients, topic: str, title: str, body: str, link: str = "", sms: bool = True) -> list[Message]:
    """Send a site message to each distinct recipient and, when `sms`, a text to each one's phone number."""
    messages = []
    seen = set()
    for recipient in recipients:
        if recipient is None or recipient.pk in seen:
            continue
        seen.add(recipient.pk)
        messages.append(Message(recipient=recipient, topic=topic, title=title, body=body, link=link))
        if sms and recipient.phone:
            enqueue_sms(phone=recipient.phone, body=f"【通办】{body}"[:SMS_MAX_LENGTH], purpose=topic)
    insert_many(messages)
    forget_unread_counts(seen)  # the header's unread count (notifications/selectors.py), once this commits
    return messages


@transaction.atomic
def message_mark_read(*, actor, message: Message) -> Message:
    """Mark one of the actor's own messages read (loaded through access_message)."""
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
        forget_unread_counts([message.recipient_id])
        audit.record(actor=actor, action="notifications.message.read", obj=message)
    return message

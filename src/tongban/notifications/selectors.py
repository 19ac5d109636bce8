"""Reads of site messages, scoped to what the signed-in person may see (notifications/access.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from tongban.accounts.enterprises import ActingIdentity
from tongban.accounts.models import User
from tongban.notifications.access import message_owners
from tongban.notifications.models import Message


def visible_messages(user: User, identity: ActingIdentity | None) -> QuerySet[Message]:
    """The person's messages (and their enterprise's, when allowed), newest first (index message_recipient_recent)."""
    return Message.objects.filter(recipient_id__in=message_owners(user, identity)).order_by("-created_at", "-pk")


def unread_count(user: User, identity: ActingIdentity | None) -> int:
    """How many of those messages are unread (for the header)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return visible_messages(user, identity).filter(read_at__isnull=True).count()

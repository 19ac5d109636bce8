"""Reads of site messages, scoped to what the signed-in person may see (notifications/access.py)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet

from tongban.accounts.enterprises import ActingIdentity
from tongban.accounts.models import User
from tongban.notifications.access import message_owners
from tongban.notifications.models import Message

# Seconds the header's unread count of one account is kept in the cache. Sending and reading a message forget it
# (forget_unread_counts); with the per-process cache of the demo another worker may show the old count this long.
UNREAD_TTL = 30


def visible_messages(user: User, identity: ActingIdentity | None) -> QuerySet[Message]:
    """The person's messages (and their enterprise's, when allowed), newest first (index message_recipient_recent)."""
    return Message.objects.filter(recipient_id__in=message_owners(user, identity)).order_by("-created_at", "-pk")


def unread_count(user: User, identity: ActingIdentity | None) -> int:
    """How many of those messages are unread (for the header of every signed-in page).

    Each account's count is kept in the cache for UNREAD_TTL seconds, so a page costs one cache read instead of a
    COUNT; a message has one recipient, so the person's count is the sum over the accounts whose messages they see.
    Inside a transaction (a test, a write) it is counted fresh and not kept."""
    owners = message_owners(user, identity)
    if not owners:
        return 0
    if _in_transaction():
        return visible_messages(user, identity).filter(read_at__isnull=True).count()
    keys = {owner: _unread_key(owner) for owner in owners}
    counts = cache.get_many(list(keys.values()))
    for owner in owners:
        if keys[owner] not in counts:
            counts[keys[owner]] = Message.objects.filter(recipient_id=owner, read_at__isnull=True).count()
            cache.set(keys[owner], counts[keys[owner]], UNREAD_TTL)
    return sum(counts[key] for key in keys.values())


def forget_unread_counts(recipient_ids) -> None:
    """After the transaction commits, drop the kept unread counts of these accounts (a message sent or read)."""
    keys = [_unread_key(pk) for pk in set(recipient_ids)]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


def _unread_key(owner_id: int) -> str:
    return f"notifications:unread:{owner_id}"


def _in_transaction() -> bool:
    return connection.in_atomic_block

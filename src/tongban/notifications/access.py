"""Whose messages a signed-in person sees, and loading one message for them (one condition per line).

A person sees the messages addressed to their own account. While acting for an enterprise (accounts/acting.py) as
its legal representative, or as an agent authorised for all its items, they also see the enterprise account's
messages. An agent authorised for some items only does not: the enterprise's messages may be about cases outside
their scope, and they already get their own copy of every message about a case they filed (cases/services.py
tells the applicant account and the person who filled the case in).
"""

from __future__ import annotations

from tongban.accounts.enterprises import ActingIdentity, ActingRole
from tongban.accounts.models import User
from tongban.core.errors import DomainError
from tongban.notifications.errors import NotificationError
from tongban.notifications.models import Message


def message_owners(user: User, identity: ActingIdentity | None) -> list[int]:
    """The account ids whose messages the person sees now: their own, and the enterprise's when allowed."""
    if not getattr(user, "is_authenticated", False):
        return []
    owners = [user.pk]
    if identity is not None and _sees_enterprise_messages(identity):
        owners.append(identity.enterprise.pk)
    return owners


def _sees_enterprise_messages(identity: ActingIdentity) -> bool:
    if identity.role != ActingRole.AGENT:
        return True
    return identity.authorisation is not None and identity.authorisation.all_items


def access_message(user: User, identity: ActingIdentity | None, message_id: int) -> Message:
    """One message the person may see, or MESSAGE_NOT_FOUND (404, the same for a message that does not exist)."""
    message = Message.objects.filter(pk=message_id, recipient_id__in=message_owners(user, identity)).first()
    if message is None:
        raise DomainError(NotificationError.MESSAGE_NOT_FOUND)
    return message

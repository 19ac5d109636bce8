"""The header's unread-message count: `{% load notifications %}{% unread_message_count as unread %}`."""

from django import template

from tongban.notifications.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_message_count(context) -> int:
    """Unread messages of the signed-in person (and their enterprise's, when acting for it); 0 when signed out."""
    request = context.get("request")
    if request is None:
        return 0
    return unread_count(request.user, getattr(request, "acting_identity", None))

"""Error codes of site messages (notifications)."""

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import ErrorCode


class NotificationError(ErrorCode):
    """Why a message could not be shown or changed."""

    MESSAGE_NOT_FOUND = 404, _("消息不存在，或不是发给您的")

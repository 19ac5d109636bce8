"""Site messages (站内消息): what the platform tells a person in their personal centre, beside any SMS."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """A site message to one account (a person, or an enterprise account seen by its representative and agents)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收账号"), on_delete=models.CASCADE, related_name="site_messages"
    )
    topic = models.CharField(_("类别"), max_length=50, help_text=_("例如 case.received、case.accepted"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(_("链接"), max_length=300, blank=True, help_text=_("站内相对路径"))
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        indexes = [models.Index(fields=["recipient", "-created_at"], name="message_recipient_recent")]

    def __str__(self) -> str:
        return self.title

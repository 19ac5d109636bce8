"""我的消息: the signed-in person's site messages, newest first, and marking one read. Thin: access.py and
selectors.py decide what the person sees; services.py writes. Works without JavaScript."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tongban.notifications import selectors, services
from tongban.notifications.access import access_message

PER_PAGE = 20
# A site-relative path only ("/cases/mine/…"): never another host, never "//host" or "/\host".
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\s\\]*")


def _identity(request):
    return getattr(request, "acting_identity", None)


def _local_path(value: str) -> str:
    return value if value and _LOCAL_PATH.fullmatch(value) else ""


@login_required
def message_list(request):
    """The person's messages (and their enterprise's, when acting for it), 20 a page, unread ones marked."""
    messages = selectors.visible_messages(request.user, _identity(request))
    page = Paginator(messages, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/message_list.html", {"page": page})


@login_required
@require_POST
def message_read(request, message_id: int):
    """Mark one message read; with open=1 go on to the page it links to, otherwise back to the list."""
    message = access_message(request.user, _identity(request), message_id)
    services.message_mark_read(actor=request.user, message=message)
    target = _local_path(message.link) if request.POST.get("open") else ""
    back = _local_path(request.POST.get("next", ""))
    if back and not back.startswith(reverse("notifications:list")):
        back = ""  # "next" only ever returns to a page of the list
    return HttpResponseRedirect(target or back or reverse("notifications:list"))

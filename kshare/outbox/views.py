"""The outbox admin page: what kshare mailed, what waits, what failed — and "Retry now"."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kshare.outbox import selectors, services
from kshare.outbox.models import OutboxMessage

PAGE_SIZE = 25
FILTER_LABELS = {
    "all": gettext_lazy("All"),
    "queued": gettext_lazy("Queued"),
    "sent": gettext_lazy("Sent"),
    "failed": gettext_lazy("Failed"),
}


def _require_admin(request: HttpRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied(_("Only admins can see the e-mail outbox."))


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def outbox_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    filter_key = request.GET.get("status", "all")
    if filter_key not in selectors.FILTERS:
        raise Http404("No such filter.")
    page = Paginator(selectors.outbox_messages(filter_key=filter_key), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = selectors.outbox_counts()
    return render(
        request,
        "outbox/list.html",
        {
            "filters": [(key, label, counts[key]) for key, label in FILTER_LABELS.items()],
            "filter_key": filter_key,
            "failed_count": counts["failed"],
            "page_obj": page,
            "outbox_messages": page.object_list,
            "retention_days": settings.KSHARE_RETENTION_OUTBOX_DAYS,
        },
    )


def _attachment_rows(message: OutboxMessage) -> list[dict[str, object]]:
    return [
        {
            "filename": part.get("filename") or _("(no name)"),
            "mimetype": part.get("mimetype", ""),
            "size": len(base64.b64decode(part.get("content_b64", ""))),
        }
        for part in message.attachments
    ]


def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    message = selectors.outbox_message(pk=pk)
    if message is None:
        raise Http404("No such message.")
    return render(
        request,
        "outbox/detail.html",
        {
            "message": message,
            "secret": message.kind in services.ONE_TIME_LINK_KINDS,
            "attachments": _attachment_rows(message),
            "alternatives": [
                {
                    "mimetype": part.get("mimetype", ""),
                    "size": len(part.get("content", "").encode()),
                }
                for part in message.alternatives
            ],
        },
    )


@require_POST
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    message = selectors.outbox_message(pk=pk)
    if message is None:
        raise Http404("No such message.")
    attempts = message.attempts
    if services.outbox_retry(message_ids=[message.pk]):
        # With an immediate task backend the attempt has happened already; with the worker,
        # it happens in a moment.
        message.refresh_from_db(fields=["status", "attempts"])
        if message.status == OutboxMessage.Status.SENT:
            messages.success(request, _("“%(subject)s” is sent.") % {"subject": message.subject})
        elif message.attempts > attempts:
            messages.error(
                request,
                _("“%(subject)s” could not be sent; it is %(status)s (see the last error).")
                % {
                    "subject": message.subject,
                    "status": str(message.get_status_display()).lower(),
                },
            )
        else:
            messages.success(
                request, _("“%(subject)s” is queued to be sent now.") % {"subject": message.subject}
            )
    else:
        messages.info(
            request,
            _("“%(subject)s” is already sent or being sent.") % {"subject": message.subject},
        )
    return _back(request, reverse("outbox:detail", args=[message.pk]))


@require_POST
def outbox_retry_failed_view(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    count = services.outbox_retry_failed()
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)s failed mail is queued to be sent again.",
                "%(count)s failed mails are queued to be sent again.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.info(request, _("No failed mails to send again."))
    return _back(request, reverse("outbox:list"))

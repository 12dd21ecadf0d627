"""The webhooks page: organisers (their programmes) and admins (any) list, add and delete
subscriptions and see each one's recent deliveries. The same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kshare.programmes.models import Programme
from kshare.webhooks.forms import WebhookForm
from kshare.webhooks.models import Webhook
from kshare.webhooks.services import (
    webhook_subscribe,
    webhook_unsubscribe,
    webhooks_manageable_by,
)

RECENT_DELIVERIES = 20


def _manager(request: HttpRequest) -> None:
    if not request.user.is_organiser:
        raise PermissionDenied(_("Only organisers and admins manage webhooks."))


def _form(request: HttpRequest, data=None) -> WebhookForm:
    person = request.user
    programmes = Programme.objects.order_by("name")
    if not person.is_admin:
        programmes = programmes.filter(organisers=person)
    return WebhookForm(data, programmes=programmes, every=person.is_admin)


def _page(request: HttpRequest, form: WebhookForm, *, new: Webhook | None = None) -> HttpResponse:
    hooks = webhooks_manageable_by(person=request.user).select_related("programme", "created_by")
    response = render(
        request,
        "webhooks/list.html",
        {"form": form, "hooks": hooks, "new": new},
    )
    add_never_cache_headers(response)  # may show a secret
    return response


@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hook = webhook_subscribe(
                by=request.user,
                url=data["url"],
                events=list(data["events"]),
                programme=data["programme"],
                description=data["description"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # Rendered, not redirected: the secret is in this one response only.
            return _page(request, _form(request), new=hook)
    return _page(request, form)


def _hook(request: HttpRequest, pk: int) -> Webhook:
    _manager(request)
    hook = (
        webhooks_manageable_by(person=request.user)
        .select_related("programme", "created_by")
        .filter(pk=pk)
        .first()
    )
    if hook is None:
        raise Http404
    return hook


def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hook = _hook(request, pk)
    deliveries = list(hook.deliveries.order_by("-created_at", "-id")[:RECENT_DELIVERIES])
    return render(request, "webhooks/detail.html", {"hook": hook, "deliveries": deliveries})


@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    hook = _hook(request, pk)
    webhook_unsubscribe(webhook=hook, by=request.user)
    messages.success(request, _("The webhook to %(url)s is deleted.") % {"url": hook.url})
    return redirect("webhooks:list")

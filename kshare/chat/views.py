"""The chat channels page: organisers (their programmes) and admins (any, and the whole
installation) connect, test and remove channels. Server-rendered forms, no JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kshare.chat.forms import ChannelForm
from kshare.chat.models import ChatChannel
from kshare.chat.selectors import channels_manageable_by, posts_recent, programmes_connectable_by
from kshare.chat.services import channel_connect, channel_remove, channel_test


def _manager(request: HttpRequest) -> None:
    if not request.user.is_organiser:
        raise PermissionDenied(_("Only organisers and admins connect chat channels."))


def _form(request: HttpRequest, data=None) -> ChannelForm:
    person = request.user
    return ChannelForm(
        data, programmes=programmes_connectable_by(person=person), every=person.is_admin
    )


@require_http_methods(["GET", "POST"])
def channels(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = channel_connect(
                by=request.user,
                platform=data["platform"],
                name=data["name"],
                url=data["url"],
                programme=data["programme"],
                timezone_name=data["timezone"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("%(channel)s is connected. Send a test message to check it works.")
                % {"channel": channel},
            )
            return redirect("chat:channels")
    listed = list(channels_manageable_by(person=request.user))
    recent = posts_recent(channel_ids=[c.pk for c in listed])
    rows = [(channel, recent[channel.pk]) for channel in listed]
    return render(request, "chat/channels.html", {"form": form, "rows": rows})


def _channel(request: HttpRequest, pk: int) -> ChatChannel:
    _manager(request)
    channel = channels_manageable_by(person=request.user).filter(pk=pk).first()
    if channel is None:
        raise Http404
    return channel


@require_POST
def channel_test_view(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    channel_test(channel=channel, by=request.user)
    messages.success(
        request,
        _("A test message to %(channel)s is on its way: see its status below.")
        % {"channel": channel},
    )
    return redirect("chat:channels")


@require_POST
def channel_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    channel_remove(channel=channel, by=request.user)
    messages.success(
        request, _("%(channel)s is removed: kshare no longer posts there.") % {"channel": channel}
    )
    return redirect("chat:channels")

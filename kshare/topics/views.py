from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kshare.topics import selectors, services
from kshare.topics.forms import TopicRequestForm, VolunteerForm
from kshare.topics.inputs import topic_request_create_input
from kshare.topics.models import TopicRequest

PAGE_SIZE = 20

TABS = {
    "open": ("Open", "topics:list", TopicRequest.Status.OPEN),
    "scheduled": ("Scheduled", "topics:scheduled", TopicRequest.Status.SCHEDULED),
}


def _topic(request: HttpRequest, pk: int) -> TopicRequest:
    topic = selectors.topic_request_detail(person=request.user, pk=pk)
    if topic is None:
        raise Http404
    return topic


def topic_list(request: HttpRequest, tab: str = "open") -> HttpResponse:
    _, _, status = TABS[tab]
    topics = selectors.topic_requests_ranked(person=request.user, status=status)
    page = Paginator(topics, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "topics/list.html",
        {
            "tabs": [(key, label, urlname) for key, (label, urlname, _) in TABS.items()],
            "tab": tab,
            "page_obj": page,
            "topics": page.object_list,
            "nav": "topics",
        },
    )


def topic_create(request: HttpRequest) -> HttpResponse:
    form = TopicRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        assert form.input is not None
        topic = topic_request_create_input(requester=request.user, data=form.input)
        messages.success(
            request, _("Your request is up. Colleagues can +1 it or offer to host it.")
        )
        return redirect(topic)
    return render(request, "topics/new.html", {"form": form, "nav": "topics"})


def _detail_context(request: HttpRequest, topic: TopicRequest, **extra: object) -> dict:
    return {
        "topic": topic,
        "can_propose": topic.status == TopicRequest.Status.OPEN
        and topic.session_id is None
        and services.topic_request_can_propose(request=topic, person=request.user),
        "volunteer_form": extra.pop("volunteer_form", None)
        or VolunteerForm(initial={"note": _my_note(request, topic)}),
        "nav": "topics",
        **extra,
    }


def _my_note(request: HttpRequest, topic: TopicRequest) -> str:
    for volunteer in topic.volunteers.all():
        if volunteer.person_id == request.user.pk:
            return volunteer.note
    return ""


def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _topic(request, pk)
    return render(request, "topics/detail.html", _detail_context(request, topic))


def _answer(
    request: HttpRequest, pk: int, partial: str, text: str, error: bool, **extra: object
) -> HttpResponse:
    """htmx swaps one partial with the message in it; without JavaScript: message + redirect."""
    if not request.headers.get("HX-Request"):
        (messages.error if error else messages.success)(request, text)
        return redirect("topics:detail", pk)
    topic = _topic(request, pk)
    context = _detail_context(request, topic, **extra)
    context.update({f"{partial}_message": text, f"{partial}_error": error})
    response = render(request, f"topics/detail.html#{partial}", context)
    if partial == "volunteer":
        # The list of possible hosts changes too: htmx swaps it out of band.
        response.content += render_to_string(
            "topics/detail.html#volunteers", {**context, "oob": True}, request=request
        ).encode()
    return response


@require_POST
def topic_vote(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _topic(request, pk)
    on = request.POST.get("on") == "1"
    try:
        services.topic_vote_set(request=topic, person=request.user, on=on)
    except ValidationError as exc:
        return _answer(request, pk, "vote", " ".join(exc.messages), True)
    text = _("Your +1 is counted.") if on else _("Your +1 is withdrawn.")
    return _answer(request, pk, "vote", text, False)


@require_POST
def topic_volunteer(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _topic(request, pk)
    on = request.POST.get("on") == "1"
    form = VolunteerForm(request.POST)
    if on and not form.is_valid():
        text = " ".join(e for errors in form.errors.values() for e in errors)
        return _answer(request, pk, "volunteer", text, True, volunteer_form=form)
    try:
        services.topic_volunteer_set(
            request=topic,
            person=request.user,
            on=on,
            note=form.cleaned_data.get("note", "") if on else "",
        )
    except ValidationError as exc:
        return _answer(request, pk, "volunteer", " ".join(exc.messages), True)
    text = (
        _("Thanks! You are listed as a possible host. Propose it as a session when you are ready.")
        if on
        else _("You are no longer listed as a possible host.")
    )
    return _answer(request, pk, "volunteer", text, False)


@require_POST
def topic_propose(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _topic(request, pk)
    if not services.topic_request_can_propose(request=topic, person=request.user):
        raise PermissionDenied(
            _(
                "Only people who volunteered to host this topic, organisers and admins can "
                "propose it as a session."
            )
        )
    try:
        session = services.topic_request_propose(request=topic, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(topic)
    messages.success(
        request,
        _(
            "Your session is proposed from the request. Add details, then schedule it: everyone "
            "who asked for it hears about it then."
        ),
    )
    return redirect(session)

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kshare.sessions import selectors, services
from kshare.sessions.forms import CancelForm, ScheduleForm, SessionEditForm, SessionProposeForm
from kshare.sessions.inputs import session_update_input
from kshare.sessions.invitations import rsvp_set
from kshare.sessions.keyset import keyset_page
from kshare.sessions.models import Invitation, Session, State
from kshare.sessions.propose_hooks import propose_done, propose_initial
from kshare.tags.models import Tag
from kshare.tags.services import TagError, tag_names_parse, tag_slug

PAGE_SIZE = 20

LIST_TABS = {
    "upcoming": (gettext_lazy("Upcoming"), selectors.sessions_upcoming),
    "past": (gettext_lazy("Past"), selectors.sessions_past),
    "proposed": (gettext_lazy("Proposals"), selectors.sessions_proposed),
}
MINE_TABS = {
    "hosting": (gettext_lazy("Hosting"), selectors.sessions_hosting),
    "attending": (gettext_lazy("Attending"), selectors.sessions_attending),
}


def _page(request: HttpRequest, sessions: QuerySet[Session]):
    return Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))


def _visible_session(request: HttpRequest, pk: int) -> Session:
    session = selectors.session_detail(person=request.user, pk=pk)
    if session is None:
        # Invisible and non-existent look the same: nothing leaks about invite-only sessions.
        raise Http404
    return session


def _editable_session(request: HttpRequest, pk: int) -> Session:
    session = _visible_session(request, pk)
    if not selectors.session_can_edit(person=request.user, session=session):
        raise PermissionDenied(
            _("Only the session's hosts, its programme's organisers and admins can change it.")
        )
    return session


def session_list(request: HttpRequest, tab: str = "upcoming") -> HttpResponse:
    title, select = LIST_TABS[tab]
    context: dict = {
        "tabs": [(key, label, "sessions:" + key) for key, (label, _select) in LIST_TABS.items()],
        "tab": tab,
        "heading": _("Sessions"),
        "title": title,
        "nav": "sessions",
    }
    if tab == "upcoming":
        # Keyset pages: no count of every visible upcoming session (see sessions/keyset.py).
        keyset = keyset_page(
            select(person=request.user),
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            size=PAGE_SIZE,
        )
        context.update(keyset=keyset, sessions=keyset.sessions)
    else:
        page = _page(request, select(person=request.user))
        context.update(page_obj=page, sessions=page.object_list)
    return render(request, "sessions/list.html", context)


def session_mine(request: HttpRequest, tab: str = "hosting") -> HttpResponse:
    title, select = MINE_TABS[tab]
    page = _page(request, select(person=request.user))
    return render(
        request,
        "sessions/list.html",
        {
            "tabs": [
                (key, label, "sessions:mine_" + key) for key, (label, _select) in MINE_TABS.items()
            ],
            "tab": tab,
            "heading": _("My sessions"),
            "title": title,
            "page_obj": page,
            "sessions": page.object_list,
            "nav": "mine",
        },
    )


def session_tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    page = _page(request, selectors.sessions_by_tag(person=request.user, tag_slug=slug))
    return render(
        request,
        "sessions/list.html",
        {
            "heading": _("Sessions tagged “%(tag)s”") % {"tag": tag.name},
            "title": tag.name,
            "page_obj": page,
            "sessions": page.object_list,
            "nav": "sessions",
        },
    )


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The session page. Other apps' cards (check-in, catch-up, calendar, materials, questions,
    ideas, attendance log, reminders, the feedback button) are parts they register for its
    regions (sessions/parts.py, kshare/core/pages.py); the template renders them."""
    session = _visible_session(request, pk)
    can_edit = selectors.session_can_edit(person=request.user, session=session)
    started = session.start is not None and session.start <= timezone.now()
    return render(
        request,
        "sessions/detail.html",
        {
            **_rsvp_context(request, session),
            "can_edit": can_edit,
            "can_mark_held": can_edit and session.state == State.SCHEDULED and started,
            "nav": "sessions",
        },
    )


def _rsvp_context(request: HttpRequest, session: Session) -> dict:
    invitation = selectors.session_invitation_for(person=request.user, session=session)
    # Hosts are never asked "Will you come?" (nor counted as invitees).
    hosting = next(
        (link for link in session.host_links.all() if link.person_id == request.user.pk), None
    )
    return {
        "session": session,
        "hosting": hosting,
        "invitation": invitation,
        "waitlist_position": selectors.waitlist_position(invitation=invitation)
        if invitation
        else None,
        "counts": selectors.session_counts(session=session),
        "rsvp_choices": [
            c for c in Invitation.Response.choices if c[0] != Invitation.Response.PENDING
        ],
    }


def _propose_initial(request: HttpRequest) -> dict:
    """Pre-fill from what a higher app recognises in the request (a topic request: see
    ``propose_hooks``), else from a skill ("choose a familiar topic": ``?skill=<slug>``)."""
    initial = propose_initial(request)
    if initial:
        return initial
    slug = request.GET.get("skill", "")[:60]
    # A slug has no NUL (which PostgreSQL refuses in a query): such a value matches nothing.
    tag = Tag.objects.filter(slug=slug).first() if slug and "\x00" not in slug else None
    return {"tags_text": tag.name} if tag else {}


def _with_suggested_tags(request: HttpRequest) -> tuple[SessionProposeForm, list[str]]:
    """The propose form as typed (unbound: no errors shown for a half-filled form), its tags
    field extended with the known tags the title and abstract name."""
    from kshare.tags.selectors import tags_in_text

    typed = {name: request.POST.get(name, "") for name in SessionProposeForm.base_fields}
    typed["teams"] = request.POST.getlist("teams")
    text = f"{typed['title']}\n{typed['abstract']}"
    suggested = [tag.name for tag in tags_in_text(text=text)]
    try:
        current = tag_names_parse(typed["tags_text"])
    except TagError:
        current = [typed["tags_text"]] if typed["tags_text"].strip() else []
    have = {tag_slug(name) for name in current}
    added = [name for name in suggested if tag_slug(name) not in have]
    typed["tags_text"] = ", ".join([*current, *added])
    form = SessionProposeForm(initial=typed, person=request.user)
    return form, added


def session_propose(request: HttpRequest) -> HttpResponse:
    # The page's familiar topics (recommend) and the topic request a proposal may answer (topics)
    # are regions of its template and hooks of its flow: this view names neither app.
    form = SessionProposeForm(
        request.POST or None,
        initial=_propose_initial(request),
        person=request.user,
    )
    suggested: list[str] | None = None
    if request.method == "POST" and "suggest_tags" in request.POST:
        # "Suggest tags" (works without JavaScript): the same form again, nothing saved, the
        # tags its title and abstract name added to the tags field for the proposer to keep.
        form, suggested = _with_suggested_tags(request)
    elif request.method == "POST" and form.is_valid():
        session = form.propose(by=request.user)
        messages.success(
            request, _("Thanks! Your session is proposed. Schedule it when you have a slot.")
        )
        propose_done(request, session)
        return redirect(session)
    return render(
        request,
        "sessions/propose.html",
        {"form": form, "suggested_tags": suggested, "nav": "propose"},
    )


def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    form = SessionEditForm(request.POST or None, instance=session, person=request.user)
    if request.method == "POST" and form.is_valid():
        assert form.input is not None
        try:
            result = session_update_input(
                session=Session.objects.get(pk=session.pk), by=request.user, data=form.input
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(request, _("Saved."))
            return redirect(session)
    return render(request, "sessions/edit.html", {"form": form, "session": session})


def session_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    initial = {"start": session.start, "end": session.end} if session.start else {}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.session_schedule(
                session=session,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            team = request.POST.get("invite_team", "")
            if team.isdigit() and len(team) < 12:
                # A slot found for a team: the next step, inviting, starts with that team ticked.
                messages.success(
                    request, _("Scheduled. Now invite the people the slot was found for.")
                )
                return redirect(reverse("sessions:invite", args=[session.pk]) + f"?team={team}")
            messages.success(request, _("Scheduled. It now appears on the upcoming list."))
            return redirect(session)
    # The slot finder under the form is the calendars app's part (region "session.schedule").
    return render(
        request,
        "sessions/schedule.html",
        {"form": form, "session": session, "lead_days": session.programme.lead_time_days},
    )


@require_POST
def session_mark_held(request: HttpRequest, pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    try:
        services.session_mark_held(session=session, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as held. The attendance log is frozen."))
    return redirect(session)


def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(
                session=session, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The session is cancelled."))
        return redirect(session)
    return render(request, "sessions/cancel.html", {"form": form, "session": session})


@require_POST
def session_rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer yes/maybe/no. With htmx only the answer card is swapped (template partial)."""
    session = _visible_session(request, pk)
    error = False
    try:
        invitation = rsvp_set(
            session=session, person=request.user, response=request.POST.get("response", "")
        )
    except ValidationError as exc:
        text, error = " ".join(exc.messages), True
    else:
        position = selectors.waitlist_position(invitation=invitation)
        text = (
            _(
                "The session is full: you are on the waitlist, number %(position)s. "
                "You get a mail when a seat frees up."
            )
            % {"position": position}
            if position
            else _("Your answer is saved.")
        )
    if not request.headers.get("HX-Request"):
        (messages.error if error else messages.success)(request, text)
        return redirect(session)
    return render(
        request,
        "sessions/detail.html#rsvp",
        {
            **_rsvp_context(request, session),
            "rsvp_message": text,
            "rsvp_error": error,
        },
    )

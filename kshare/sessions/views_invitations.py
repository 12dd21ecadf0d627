"""Inviting people to a session, and answering from the RSVP link in the invitation mail."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from kshare.people.models import Person, Team
from kshare.sessions.invitations import invitations_create, rsvp_set
from kshare.sessions.models import Invitation, Session, State
from kshare.sessions.rsvp_tokens import (
    RSVPTokenExpired,
    RSVPTokenInvalid,
    rsvp_link_expired,
    rsvp_token_read,
)
from kshare.sessions.selectors import invitation_answer, invitation_counts, waitlist_position
from kshare.sessions.views import _editable_session
from kshare.visibility import rules

INVITED_PAGE_SIZE = 50
SEARCH_RESULTS = 20
MAX_EMAILS = 500
ANSWER_LABELS = {
    "going": gettext_lazy("Going"),
    "waitlisted": gettext_lazy("Waitlisted"),
    "maybe": gettext_lazy("Maybe"),
    "no": gettext_lazy("Not going"),
    "pending": gettext_lazy("No answer yet"),
}


class InviteForm(forms.Form):
    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.filter(is_active=True), required=False
    )
    emails = forms.CharField(
        label=gettext_lazy("E-mail addresses"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line, or separated by commas."),
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Teams"),
        help_text=gettext_lazy("Everyone in the team who may see the session."),
    )
    everyone = forms.BooleanField(
        label=gettext_lazy("Everyone who may see the session"), required=False
    )

    def __init__(self, *args: object, session: Session, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Only teams the session may be opened to (kshare.visibility.rules.INVITABLE_OPEN).
        self.fields["teams"].queryset = rules.invitable_teams(session=session)

    def clean_emails(self) -> list[Person]:
        raw = self.cleaned_data["emails"]
        emails = list(dict.fromkeys(e.lower() for e in re.split(r"[\s,;]+", raw) if e))
        if len(emails) > MAX_EMAILS:
            raise ValidationError(
                _("Give at most %(count)s e-mail addresses at once.") % {"count": MAX_EMAILS}
            )
        malformed = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                malformed.append(email)
        if malformed:
            raise ValidationError(
                _("Not an e-mail address: %(emails)s.") % {"emails": ", ".join(malformed[:5])}
            )
        found = {p.email: p for p in Person.objects.filter(email__in=emails, is_active=True)}
        unknown = [e for e in emails if e not in found]
        if unknown:
            raise ValidationError(
                _("Nobody here has the e-mail address %(emails)s.")
                % {"emails": ", ".join(unknown[:5])}
            )
        return list(found.values())

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not (
            data.get("people") or data.get("emails") or data.get("teams") or data.get("everyone")
        ):
            raise ValidationError(_("Choose people, teams or everyone to invite."))
        return data


def _query(request: HttpRequest) -> str:
    # NUL is refused by PostgreSQL in a query; a search never needs it.
    return request.GET.get("q", "").replace("\x00", "").strip()[:100]


def _search(session: Session, query: str, selected: list[str]) -> tuple[list, list]:
    """(checked people kept from earlier searches, people matching ``query``) who may be invited."""
    invitable = (
        rules.people_who_may_be_invited(session=session)
        .exclude(pk__in=session.invitations.values("person_id"))
        .exclude(pk__in=session.host_links.values("person_id"))
    )
    selected_ids = [int(s) for s in selected if s.isdigit() and len(s) < 12][:100]
    kept = list(invitable.filter(pk__in=selected_ids).order_by("display_name", "id"))
    if len(query) < 2:
        return kept, []
    found = (
        invitable.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
        .exclude(pk__in=selected_ids)
        .select_related("team")
        .order_by("display_name", "id")[:SEARCH_RESULTS]
    )
    return kept, list(found)


def _invited(session: Session) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(session=session)
        .select_related("person__team")
        .order_by("person__display_name", "id")
    )


def _initial(session: Session, team: str) -> dict:
    """``?team=<id>`` (the team the slot finder planned for) ticks that team, when the session
    may be opened to it; any other value is ignored."""
    if not (team.isdigit() and len(team) < 12):
        return {}
    teams = rules.invitable_teams(session=session).filter(pk=int(team))
    return {"teams": [t.pk for t in teams]} if teams else {}


def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite people (search or e-mail addresses), teams or everyone; see who answered what."""
    session = _editable_session(request, pk)
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        session=session,
        initial=_initial(session, request.GET.get("team", "")),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        people = {p.pk: p for p in [*data["people"], *data["emails"]]}
        try:
            result = invitations_create(
                session=session,
                by=request.user,
                people=people.values(),
                teams=data["teams"],
                everyone=data["everyone"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            count = len(result.invited)
            text = (
                ngettext(
                    "Invited %(count)s person: the invitations are on their way.",
                    "Invited %(count)s people: the invitations are on their way.",
                    count,
                )
                % {"count": count}
                if count
                else _("Nobody new to invite.")
            )
            if result.already:
                text += " " + _("%(count)s had been invited already.") % {"count": result.already}
            if result.not_visible:
                text += " " + ngettext(
                    "%(count)s cannot see this session and was left out.",
                    "%(count)s cannot see this session and were left out.",
                    result.not_visible,
                ) % {"count": result.not_visible}
            messages.success(request, text)
            return redirect("sessions:invite", pk=session.pk)
    kept, found = _search(session, _query(request), request.GET.getlist("people"))
    page = Paginator(_invited(session), INVITED_PAGE_SIZE).get_page(request.GET.get("page"))
    invited = [(i, ANSWER_LABELS[invitation_answer(i)]) for i in page.object_list]
    return render(
        request,
        "sessions/invite.html",
        {
            "session": session,
            "form": form,
            "query": _query(request),
            "kept": kept,
            "found": found,
            "invited": invited,
            "page_obj": page,
            "counts": invitation_counts(session=session),
            "nav": "sessions",
        },
    )


@require_GET
def invite_people(request: HttpRequest, pk: int) -> HttpResponse:
    """The live search results (htmx): checkboxes that belong to the invite form."""
    session = _editable_session(request, pk)
    kept, found = _search(session, _query(request), request.GET.getlist("people"))
    return render(
        request,
        "sessions/invite.html#people-results",
        {"session": session, "query": _query(request), "kept": kept, "found": found},
    )


# -- answering from the mail ----------------------------------------------------------------------


def _problem(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "web/error.html", {"status": status, "title": title, "text": text}, status=status
    )


def _invitation_from(request: HttpRequest, token: str) -> Invitation | HttpResponse:
    """The invitation a token names, or the page that explains why it does not work."""
    try:
        invitation_id, person_id = rsvp_token_read(token)
    except RSVPTokenExpired:
        return _expired(request)
    except RSVPTokenInvalid:
        return _problem(
            request,
            400,
            _("This RSVP link is not valid"),
            _(
                "This RSVP link is not valid: it may have been cut off or changed. "
                "Copy the whole link from the invitation mail, or answer on the session page."
            ),
        )
    invitation = (
        Invitation.objects.select_related("session__programme", "person")
        .filter(pk=invitation_id, person_id=person_id)
        .first()
    )
    if invitation is None or not invitation.person.is_active:
        raise Http404
    session = invitation.session
    if session.state == State.CANCELLED:
        return _problem(
            request,
            410,
            _("This session was cancelled"),
            _("“%(title)s” was cancelled, so there is nothing to answer.")
            % {"title": session.title},
        )
    if session.state != State.SCHEDULED or rsvp_link_expired(session=session):
        return _expired(request)
    return invitation


def _expired(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        410,
        _("This RSVP link has expired"),
        _("This RSVP link has expired: the session is over, so it takes no more answers."),
    )


@login_not_required
def rsvp_link(request: HttpRequest, token: str) -> HttpResponse:
    """Answer an invitation without signing in.

    GET only shows the question (mail scanners open links); the answer is saved by the POST of
    the confirm button, with CSRF protection like every other form.
    """
    found = _invitation_from(request, token)
    if isinstance(found, HttpResponse):
        return found
    invitation = found
    choices = [c for c in Invitation.Response.choices if c[0] != Invitation.Response.PENDING]
    context = {
        "invitation": invitation,
        "session": invitation.session,
        "person": invitation.person,
        "choices": choices,
        "tz": invitation.person.tzinfo,
    }
    if request.method == "POST":
        answer = request.POST.get("response", "")
        try:
            saved = rsvp_set(session=invitation.session, person=invitation.person, response=answer)
        except ValidationError as exc:
            status = 400 if answer not in dict(choices) else 409
            context |= {"chosen": invitation.response, "error": " ".join(exc.messages)}
            return render(request, "sessions/rsvp_link.html", context, status=status)
        return render(
            request,
            "sessions/rsvp_link.html",
            context
            | {
                "invitation": saved,
                "saved": True,
                "position": waitlist_position(invitation=saved),
                "chosen": saved.response,
            },
        )
    chosen = request.GET.get("answer", "")
    if chosen not in dict(choices):
        chosen = invitation.response if invitation.response in dict(choices) else ""
    return render(
        request,
        "sessions/rsvp_link.html",
        context
        | {
            "chosen": chosen,
            "answered": invitation.response != Invitation.Response.PENDING,
            "position": waitlist_position(invitation=invitation),
        },
    )

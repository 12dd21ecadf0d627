"""Sessions: list with filters, detail, propose, update, schedule, cancel, mark held.

Visibility and edit rights come from ``kshare.sessions.selectors``; input is checked by the rules
the web forms use (``kshare.sessions.inputs``) and written by ``kshare.sessions.services``. A
session the caller may not see is the same 404 as a missing one; a visible session the caller may
not change is a 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django import forms
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kshare.api.auth import require_write
from kshare.api.errors import ApiError, not_found
from kshare.api.pagination import PageQuery, cursor_page_nulls_last
from kshare.api.schemas import (
    ERRORS,
    Id,
    JsonInt,
    Page,
    QueryId,
    QueryText,
    TeamRef,
    Text,
    UtcDatetime,
)
from kshare.api.util import NOT_A_CHOICE, PathId, input_valid, service_call
from kshare.core.inputs import InputErrors
from kshare.people.models import Person, Team
from kshare.programmes.models import Programme
from kshare.sessions import selectors, services
from kshare.sessions.cohosting import cohost_names_pending
from kshare.sessions.inputs import (
    SESSION_EDIT_FIELDS,
    SessionInput,
    schedule_input_check,
    session_input_check,
    session_programme_choices,
    session_propose_input,
    session_update_input,
)
from kshare.sessions.models import (
    ABSTRACT_MAX_LENGTH,
    Attendance,
    Invitation,
    Session,
    SessionHost,
)

router = Router(tags=["sessions"])

FormatName = Literal["lightning", "talk", "workshop", "discussion"]
LevelName = Literal["all", "beginner", "intermediate", "advanced"]
VisibilityName = Literal["public", "teams", "invite_only"]
StateName = Literal["proposed", "scheduled", "held", "cancelled"]
TagName = Text(60, min_length=1)
# Sessions without a start (proposals without a wish) sort after every dated one.
FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
ORDER = ("sort_start", "id")

# Fields a PATCH may not set to null (``capacity: null`` removes the limit; a start may be cleared).
NOT_NULL = (
    "title",
    "abstract",
    "format",
    "programme",
    "level",
    "location",
    "call_url",
    "visibility",
)


class ProgrammeRef(Schema):
    id: int
    name: str
    slug: str


class TagOut(Schema):
    name: str
    slug: str


class HostOut(Schema):
    id: int
    display_name: str
    role: Literal["host", "cohost"]


class SessionOut(Schema):
    id: int
    title: str
    abstract: str
    format: FormatName
    level: LevelName
    state: StateName
    visibility: VisibilityName
    programme: ProgrammeRef
    start: dt.datetime | None
    end: dt.datetime | None
    location: str
    call_url: str = Field(description="the join link of an online session (https), or empty")
    join_url: str = Field(
        description="path of the way to the call through kshare (empty without a join link): "
        "it checks the signed-in reader in as an online attendee during the check-in window"
    )
    capacity: int | None
    tags: list[TagOut]
    teams: list[TeamRef]
    hosts: list[HostOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(description="The session's page in the web UI (path)")


class AgendaItemOut(Schema):
    position: int
    title: str
    minutes: int
    is_discussion: bool


class CountsOut(Schema):
    invited: int
    going: int
    waitlisted: int
    maybe: int
    seats_left: int | None
    attended: int


class SessionDetailOut(SessionOut):
    agenda: list[AgendaItemOut]
    counts: CountsOut
    can_edit: bool
    my_response: Literal["pending", "yes", "maybe", "no"] | None = Field(
        description="The caller's RSVP; null when not invited and not answered"
    )
    warnings: list[str] = Field(
        default_factory=list, description="Lead-time warnings after a schedule or reschedule"
    )


class SessionFilters(Schema):
    state: StateName | None = None
    programme: QueryId | None = Field(None, description="programme id")
    tag: QueryText | None = Field(None, description="tag slug")
    from_: UtcDatetime | None = Field(None, alias="from", description="start at or after")
    to: UtcDatetime | None = Field(None, description="start before")
    hosting: bool = Field(False, description="only sessions the caller hosts")
    attending: bool = Field(False, description="only sessions the caller said yes to or attended")


class SessionIn(Schema):
    title: Text(200, min_length=1)
    abstract: Text(ABSTRACT_MAX_LENGTH, strip=False) = ""
    format: FormatName = "talk"
    programme: Id | None = Field(None, description="programme id; empty for the default")
    start: UtcDatetime | None = Field(None, description="preferred start (a wish, not a schedule)")
    level: LevelName = "all"
    tags: list[TagName] = Field(default_factory=list, max_length=15)
    cohosts: list[Id] = Field(
        default_factory=list,
        max_length=10,
        description="person ids, asked to co-host: each becomes a co-host by accepting "
        "(see /cohosting)",
    )
    location: Text(200) = ""
    call_url: Text(500) = ""
    capacity: JsonInt | None = Field(None, ge=1, le=1_000_000)
    visibility: VisibilityName = "public"
    teams: list[Id] = Field(default_factory=list, max_length=100, description="team ids")


class SessionPatch(Schema):
    """Only the fields sent change. ``capacity: null`` removes the limit."""

    title: Text(200, min_length=1) = None
    abstract: Text(ABSTRACT_MAX_LENGTH, strip=False) = None
    format: FormatName = None
    programme: Id = None
    start: UtcDatetime | None = None
    end: UtcDatetime | None = Field(
        None,
        description="not sent with a new start: the session keeps its length; the same limits "
        "as when scheduling (same day, the format's maximum length), else 400",
    )
    level: LevelName = None
    tags: list[TagName] = Field(None, max_length=15)
    cohosts: list[Id] = Field(None, max_length=10)
    location: Text(200) = None
    call_url: Text(500) = None
    capacity: JsonInt | None = Field(None, ge=1, le=1_000_000)
    visibility: VisibilityName = None
    teams: list[Id] = Field(None, max_length=100)


class ScheduleIn(Schema):
    start: UtcDatetime
    end: UtcDatetime | None = Field(
        None,
        description="empty: the session keeps its length (without one: the format's). A session "
        "ends on the day it starts (TIME_ZONE) and lasts at most its format's maximum (lightning "
        "30 min, talk 2 h, discussion 3 h, workshop 8 h): else 400 with the error on `end`.",
    )


class CancelIn(Schema):
    reason: Text(500) = ""


# --- reading -------------------------------------------------------------------------------


def sessions_for_api(person: Person) -> QuerySet[Session]:
    """Visible sessions with everything ``session_out`` reads, in a constant number of queries."""
    return (
        selectors.sessions_visible_to(person=person)
        .select_related("programme")
        .prefetch_related(
            Prefetch(
                "host_links",
                queryset=SessionHost.objects.select_related("person").order_by("-role", "id"),
            ),
            "tags",
            "teams",
        )
    )


def session_out(session: Session) -> dict[str, Any]:
    programme = session.programme
    return {
        "id": session.pk,
        "title": session.title,
        "abstract": session.abstract,
        "format": session.format,
        "level": session.level,
        "state": session.state,
        "visibility": session.visibility,
        "programme": {"id": programme.pk, "name": programme.name, "slug": programme.slug},
        "start": session.start,
        "end": session.end,
        "location": session.location,
        "call_url": session.call_url,
        "join_url": reverse("attendance:join", args=[session.pk]) if session.call_url else "",
        "capacity": session.capacity,
        "tags": [{"name": t.name, "slug": t.slug} for t in session.tags.all()],
        "teams": [{"id": t.pk, "name": t.name} for t in session.teams.all()],
        "hosts": [
            {"id": link.person_id, "display_name": link.person.display_name, "role": link.role}
            for link in session.host_links.all()
        ],
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "url": session.get_absolute_url(),
    }


def session_visible(request: HttpRequest, pk: int) -> Session:
    """The session if the caller may see it; otherwise the 404 a missing one gets."""
    session = sessions_for_api(request.user).filter(pk=pk).first()
    if session is None:
        raise not_found(_("No such session."))
    return session


def session_editable(request: HttpRequest, pk: int) -> Session:
    session = session_visible(request, pk)
    if not selectors.session_can_edit(person=request.user, session=session):
        raise ApiError(
            403,
            "forbidden",
            _("Only the session's hosts, its programme's organisers and admins can change it."),
        )
    return session


def session_detail_out(
    request: HttpRequest, session: Session, *, warnings: list[str] | None = None
) -> dict[str, Any]:
    person = request.user
    invitation = selectors.session_invitation_for(person=person, session=session)
    return {
        **session_out(session),
        "agenda": [
            {
                "position": a.position,
                "title": a.title,
                "minutes": a.minutes,
                "is_discussion": a.is_discussion,
            }
            for a in session.agenda.all()
        ],
        "counts": selectors.session_counts(session=session),
        "can_edit": selectors.session_can_edit(person=person, session=session),
        "my_response": invitation.response if invitation else None,
        "warnings": warnings or [],
    }


@router.get("", response={200: Page[SessionOut], **ERRORS}, summary="List sessions")
def session_list(
    request: HttpRequest, filters: Query[SessionFilters], page: Query[PageQuery]
) -> dict[str, Any]:
    """Sessions the caller may see, by start (sessions without a start last), then id."""
    person = request.user
    sessions = sessions_for_api(person)
    if filters.state:
        sessions = sessions.filter(state=filters.state)
    if filters.programme:
        sessions = sessions.filter(programme_id=filters.programme)
    if filters.tag:
        sessions = sessions.filter(
            Exists(
                Session.tags.through.objects.filter(
                    session_id=OuterRef("pk"), tag__slug=filters.tag
                )
            )
        )
    if filters.from_:
        sessions = sessions.filter(start__gte=filters.from_)
    if filters.to:
        sessions = sessions.filter(start__lt=filters.to)
    if filters.hosting:
        sessions = sessions.filter(
            Exists(SessionHost.objects.filter(session=OuterRef("pk"), person=person))
        )
    if filters.attending:
        going = Exists(
            Invitation.objects.filter(
                session=OuterRef("pk"), person=person, response=Invitation.Response.YES
            )
        )
        attended = Exists(Attendance.objects.filter(session=OuterRef("pk"), person=person))
        sessions = sessions.filter(going | attended)
    result = cursor_page_nulls_last(
        sessions,
        cursor=page.cursor,
        limit=page.limit,
        field="start",
        alias=ORDER[0],
        last=FAR_FUTURE,
    )
    return {
        "items": [session_out(s) for s in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.get("/{session_id}", response={200: SessionDetailOut, **ERRORS}, summary="One session")
def session_detail(request: HttpRequest, session_id: PathId) -> dict[str, Any]:
    session = session_visible(request, session_id)
    return session_detail_out(request, session)


# --- writing -------------------------------------------------------------------------------
# The JSON is read into ``SessionInput`` (lists stay lists, ids become objects) and checked by
# the rules the web forms use (``kshare.sessions.inputs``); only what JSON alone can get wrong
# (ids of nothing, a comma inside a tag name) is checked here.


def _cohosts(ids: list[int]) -> list[Person]:
    people = Person.objects.in_bulk(ids) if ids else {}
    unknown = [str(i) for i in ids if i not in people or not people[i].is_active]
    if unknown:
        raise ApiError(
            400,
            "invalid",
            _("Unknown co-hosts."),
            {"cohosts": [_("No such person: %(ids)s.") % {"ids": ", ".join(unknown)}]},
        )
    return list({i: people[i] for i in ids}.values())


def _tags(names: list[str]) -> list[str]:
    # A comma would split the name in the web form's text of tags.
    if any("," in n for n in names):
        raise ApiError(
            400, "invalid", _("Invalid tags."), {"tags": [_("A tag must not contain a comma.")]}
        )
    return names


# The message of Django's multiple-choice field, as the web form gave it.
NOT_CHOICES = forms.ModelMultipleChoiceField.default_error_messages["invalid_choice"]


def _programme(
    pk: int | None, *, person: Person, errors: InputErrors, session: Session | None = None
) -> Programme | None:
    if pk is None:
        return None
    programme = session_programme_choices(person=person, session=session).filter(pk=pk).first()
    if programme is None:
        errors.add("programme", str(NOT_A_CHOICE))
    return programme


def _teams(ids: list[int], *, errors: InputErrors) -> list[Team]:
    teams = Team.objects.in_bulk(ids) if ids else {}
    for pk in ids:
        if pk not in teams:
            errors.add("teams", str(NOT_CHOICES) % {"value": pk})
            return []
    return list({pk: teams[pk] for pk in ids}.values())


@router.post("", response={201: SessionDetailOut, **ERRORS}, summary="Propose a session")
def session_create(request: HttpRequest, payload: SessionIn):
    """Propose a session hosted by the caller (state ``proposed``); needs the write scope."""
    require_write(request)
    person = request.user
    tags, cohosts = _tags(payload.tags), _cohosts(payload.cohosts)
    errors = InputErrors()
    data = SessionInput(
        title=payload.title,
        abstract=payload.abstract,
        format=payload.format,
        start=payload.start,
        programme=_programme(payload.programme, person=person, errors=errors),
        level=payload.level,
        location=payload.location,
        call_url=payload.call_url,
        capacity=payload.capacity,
        visibility=payload.visibility,
        teams=_teams(payload.teams, errors=errors),
        tags=tags,
        cohosts=cohosts,
    )
    data = input_valid(session_input_check, data, by=person, errors=errors)
    session = service_call(session_propose_input, by=person, data=data)
    return Status(201, session_detail_out(request, session_visible(request, session.pk)))


@router.patch(
    "/{session_id}", response={200: SessionDetailOut, **ERRORS}, summary="Update a session"
)
def session_update(request: HttpRequest, session_id: PathId, payload: SessionPatch):
    """Change a session (hosts, the programme's organisers, admins); only the fields sent change.
    A new start of a scheduled session is a reschedule (invitees are told); sent without an end,
    the session keeps its length."""
    require_write(request)
    person = request.user
    session = session_editable(request, session_id)
    sent = payload.model_dump(exclude_unset=True)
    for name in NOT_NULL:
        if name in sent and sent[name] is None:
            raise ApiError(
                422,
                "validation_error",
                _("Invalid input: %(names)s.") % {"names": name},
                {name: [_("May not be null.")]},
            )
    tags = _tags(sent["tags"]) if "tags" in sent else [t.name for t in session.tags.all()]
    if "cohosts" in sent:
        cohosts = _cohosts(sent["cohosts"])
    else:
        # Unchanged: the co-hosts and those asked who have not answered yet.
        cohosts = [link.person for link in session.host_links.all() if link.role == "cohost"]
        cohosts += cohost_names_pending(session=session)
    errors = InputErrors()
    values: dict[str, Any] = {name: getattr(session, name) for name in SESSION_EDIT_FIELDS}
    values.update({k: v for k, v in sent.items() if k in SESSION_EDIT_FIELDS})
    if "programme" in sent:
        values["programme"] = _programme(
            sent["programme"], person=person, errors=errors, session=session
        )
    values["teams"] = (
        _teams(sent["teams"], errors=errors) if "teams" in sent else list(session.teams.all())
    )
    if "start" in sent and "end" not in sent:
        # A new start without an end keeps the session's length (or the format's default).
        length = session.duration
        values["end"] = sent["start"] + length if sent["start"] and length else None
    data = SessionInput(**values, tags=tags, cohosts=cohosts)
    data = input_valid(session_input_check, data, by=person, session=session, errors=errors)
    result = service_call(
        session_update_input, session=Session.objects.get(pk=session.pk), by=person, data=data
    )
    return session_detail_out(
        request, session_visible(request, session.pk), warnings=result.warnings
    )


@router.post(
    "/{session_id}/schedule",
    response={200: SessionDetailOut, **ERRORS},
    summary="Schedule a session",
)
def session_schedule(request: HttpRequest, session_id: PathId, payload: ScheduleIn):
    """Commit to a slot (proposed -> scheduled) or move a scheduled session. Warnings (lead time)
    are returned, not errors. A held or cancelled session is a 409."""
    require_write(request)
    session = session_editable(request, session_id)
    input_valid(schedule_input_check, start=payload.start, end=payload.end)
    result = service_call(
        services.session_schedule,
        session=Session.objects.get(pk=session.pk),
        start=payload.start,
        end=payload.end,
        by=request.user,
    )
    return session_detail_out(
        request, session_visible(request, session.pk), warnings=result.warnings
    )


@router.post(
    "/{session_id}/cancel", response={200: SessionDetailOut, **ERRORS}, summary="Cancel a session"
)
def session_cancel(request: HttpRequest, session_id: PathId, payload: CancelIn):
    """proposed/scheduled -> cancelled (invitees get a calendar CANCEL); otherwise a 409."""
    require_write(request)
    session = session_editable(request, session_id)
    service_call(
        services.session_cancel,
        session=Session.objects.get(pk=session.pk),
        by=request.user,
        reason=payload.reason,
    )
    return session_detail_out(request, session_visible(request, session.pk))


@router.post(
    "/{session_id}/held", response={200: SessionDetailOut, **ERRORS}, summary="Mark as held"
)
def session_mark_held(request: HttpRequest, session_id: PathId):
    """scheduled -> held once it has started (attendees then get the feedback form); else 409."""
    require_write(request)
    session = session_editable(request, session_id)
    service_call(
        services.session_mark_held, session=Session.objects.get(pk=session.pk), by=request.user
    )
    return session_detail_out(request, session_visible(request, session.pk))

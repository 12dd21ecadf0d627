"""What a proposal or an edit of a session may say: the typed input and its rules, written once.

The propose and edit forms (``kshare.sessions.forms``) read their text fields into a
``SessionInput`` and show ``InputError`` next to their fields; the API
(``kshare.api.routers.sessions``) builds the same input from JSON (tags and co-hosts stay lists,
ids become objects) and answers 400 ``invalid`` with the same fields and messages. Parsing text
(comma-separated tags, co-hosts by e-mail, ``datetime-local`` values) stays in the forms; what the
values must be is here. Writing goes through ``session_propose_input`` / ``session_update_input``,
thin calls of ``kshare.sessions.services`` that take the input's fields by the lists below.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kshare.core.inputs import InputErrors
from kshare.people.models import Person, Team
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programmes_visible_to
from kshare.programmes.services import programme_default
from kshare.sessions import services
from kshare.sessions.cohosting import cohosts_check
from kshare.sessions.models import Format, Level, Session, Visibility
from kshare.tags.services import TagError, tag_names_check, tags_get_or_create

# The session's fields a proposal sets, in the propose form's order: the form's ``Meta.fields``,
# the API's proposal and ``session_propose_input`` read this one list.
SESSION_FIELDS = (
    "title",
    "abstract",
    "format",
    "start",
    "programme",
    "level",
    "location",
    "call_url",
    "capacity",
    "visibility",
    "teams",
)
# The fields an edit may change (the edit form, the API's PATCH, ``session_update_input``).
SESSION_EDIT_FIELDS = (*SESSION_FIELDS, "end")
# Besides those, both carry ``tags`` (names) and ``cohosts`` (people), which are not columns.

MAX_TAGS = 15
MAX_COHOSTS = 10


@dataclass
class SessionInput:
    """A proposal or an edit, as Python values."""

    title: str = ""
    abstract: str = ""
    format: str = Format.TALK
    start: datetime | None = None
    programme: Programme | None = None  # a proposal without one: the default programme
    level: str = Level.ALL
    location: str = ""
    call_url: str = ""
    capacity: int | None = None
    visibility: str = Visibility.PUBLIC
    teams: list[Team] = field(default_factory=list)
    end: datetime | None = None
    tags: list[str] = field(default_factory=list)  # names
    cohosts: list[Person] = field(default_factory=list)


def session_programme_choices(*, person: Person, session: Session | None = None) -> QuerySet:
    """The programmes ``person`` may propose into; an edited session's own programme stays one,
    whoever edits it."""
    choices = programmes_visible_to(person=person)
    if session is not None and session.pk:
        choices = choices | Programme.objects.filter(pk=session.programme_id)
    return choices.order_by("name")


def cohosts_too_many(count: int) -> str | None:
    if count <= MAX_COHOSTS:
        return None
    return _("Add at most %(count)s co-hosts.") % {"count": MAX_COHOSTS}


# English (a plain string, as tests and callers compare it); translated where it is raised.
JOIN_LINK_HTTPS = gettext_noop(
    "Use an https:// join link, as Zoom, Teams, Meet or Jitsi give it: people would reach "
    "the call unencrypted otherwise."
)


def call_url_clean(value: str) -> str:
    """The join link (video call) as stored: an https address (a bare host gets https, as the
    form's URL field does) of at most the column's length once normalised. ``http://`` and
    ``ftp://`` are refused (``JOIN_LINK_HTTPS``); ``javascript:`` is not a URL at all."""
    model_field = Session._meta.get_field("call_url")
    value = model_field.formfield().clean(value)
    model_field.run_validators(value)
    if value and not value.lower().startswith("https://"):
        raise ValidationError(_(JOIN_LINK_HTTPS), code="https")
    return value


def session_input_check(
    data: SessionInput,
    *,
    by: Person,
    session: Session | None = None,
    skip: Collection[str] = (),
    errors: InputErrors | None = None,
) -> SessionInput:
    """``data`` cleaned (title and tags normalised), or ``InputError`` with every refusal.

    ``session`` is the one being edited (None: a proposal). ``skip`` names fields already refused
    by the caller (a form field that did not parse): their rules do not run. ``errors`` may hold
    the caller's own refusals, reported first.
    """
    errors = errors or InputErrors()
    skip = set(skip) | set(errors.fields)
    title = " ".join(data.title.split())
    if "title" not in skip and not title:
        errors.add("title", _("Give the session a title."))
    start = data.start
    # Editing a session that already happened may keep its past start.
    past = start is not None and start <= timezone.now()
    if "start" not in skip and past and (session is None or start != session.start):
        errors.add("start", _("Choose a date in the future."))
    if "capacity" not in skip and data.capacity is not None and data.capacity < 1:
        errors.add("capacity", _("Capacity must be at least 1, or empty for no limit."))
    tags = data.tags
    if "tags" not in skip:
        try:
            tags = tag_names_check(data.tags, most=MAX_TAGS)
        except TagError as exc:
            errors.add("tags", str(exc))
    if "cohosts" not in skip and (too_many := cohosts_too_many(len(data.cohosts))):
        errors.add("cohosts", too_many)
    end = data.end
    ends_early = start is not None and end is not None and end <= start
    if {"start", "end"}.isdisjoint(skip) and "start" not in errors and ends_early:
        errors.add("end", _("The end must be after the start."))
    teams_wanted = data.visibility == Visibility.TEAMS and not data.teams
    if {"visibility", "teams"}.isdisjoint(skip) and teams_wanted:
        errors.add("teams", _("Choose at least one team, or make the session public."))
    if "programme" not in skip:
        programme = data.programme or (programme_default() if session is None else None)
        if programme is not None:
            try:
                if session is None or programme.pk != session.programme_id:
                    services.programme_check(programme=programme, by=by)
                if data.cohosts and "cohosts" not in errors.fields and "cohosts" not in skip:
                    cohosts_check(programme=programme, people=data.cohosts)
            except ValidationError as exc:
                errors.add_validation_error(exc, field="cohosts")
    call_url = data.call_url
    # An edit that leaves the link as it was keeps it (one stored before https was required).
    unchanged = session is not None and session.pk and call_url == session.call_url
    if "call_url" not in skip and call_url and not unchanged:
        try:
            call_url = call_url_clean(call_url)
        except ValidationError as exc:
            errors.add("call_url", *exc.messages)
    errors.raise_any()
    return replace(data, title=title, abstract=data.abstract.strip(), tags=tags, call_url=call_url)


def schedule_input_check(*, start: datetime | None, end: datetime | None) -> None:
    """Refuse (``InputError``) a schedule's start in the past and an end not after the start;
    ``end`` None keeps the session's length (``services.session_schedule``)."""
    errors = InputErrors()
    if start and start <= timezone.now():
        errors.add("start", _("Choose a start time in the future."))
    if start and end and end <= start:
        errors.add("end", _("The end must be after the start."))
    errors.raise_any()


def session_propose_input(*, by: Person, data: SessionInput) -> Session:
    """Propose the session ``data`` describes (checked by ``session_input_check``)."""
    return services.session_propose(
        by=by,
        tags=tags_get_or_create(names=data.tags),
        cohosts=data.cohosts,
        **{name: getattr(data, name) for name in SESSION_FIELDS},
    )


def session_update_input(
    *, session: Session, by: Person, data: SessionInput
) -> services.ScheduleResult:
    """Change ``session`` to what ``data`` says (checked by ``session_input_check``)."""
    return services.session_update(
        session=session,
        by=by,
        tags=tags_get_or_create(names=data.tags),
        cohosts=data.cohosts,
        **{name: getattr(data, name) for name in SESSION_EDIT_FIELDS},
    )

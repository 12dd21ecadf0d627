"""Every write to sessions: views, commands, tasks and the demo all call these.

What other apps do about a change (reminders, topic mails, feedback, webhooks) they do in their
own receivers of the domain signals these services send (``kshare.sessions.signals``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kshare.core.signals import rows_saved_announce
from kshare.people.models import Person, Team
from kshare.programmes.models import Programme
from kshare.programmes.services import programme_default
from kshare.sessions import cohosting, signals
from kshare.sessions.draft_mail import draft_host_ask
from kshare.sessions.invitations import waitlist_promote
from kshare.sessions.mail_owed import hosts_mark_owed, invitations_mark_changed
from kshare.sessions.models import (
    DEFAULT_AGENDAS,
    FORMAT_MAX_MINUTES,
    AgendaItem,
    Attendance,
    Format,
    Level,
    Session,
    SessionChange,
    SessionHost,
    State,
    Visibility,
    format_minutes,
)
from kshare.tags.models import Tag
from kshare.visibility import rules

# Which state each kind of history row leaves (to) from which states (from): the state machine the
# services below walk one step at a time and ``sessions_create_bulk`` checks a whole history by.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    SessionChange.Kind.SCHEDULED: (frozenset({State.PROPOSED}), State.SCHEDULED),
    SessionChange.Kind.RESCHEDULED: (frozenset({State.SCHEDULED}), State.SCHEDULED),
    SessionChange.Kind.HELD: (frozenset({State.SCHEDULED}), State.HELD),
    SessionChange.Kind.CANCELLED: (frozenset({State.PROPOSED, State.SCHEDULED}), State.CANCELLED),
}
# History kinds that change what a calendar holds: each one moves iCalendar's SEQUENCE on.
SEQUENCE_KINDS = frozenset({SessionChange.Kind.RESCHEDULED, SessionChange.Kind.CANCELLED})
BULK_BATCH = 2_000


@dataclass
class ScheduleResult:
    session: Session
    warnings: list[str] = field(default_factory=list)


# Refusals named per format and state: "a talk", "ein Vortrag", "une présentation" differ.
TOO_LONG = {
    Format.LIGHTNING: gettext_lazy(
        "A lightning talk lasts at most %(limit)s: choose an earlier end."
    ),
    Format.TALK: gettext_lazy("A talk lasts at most %(limit)s: choose an earlier end."),
    Format.WORKSHOP: gettext_lazy("A workshop lasts at most %(limit)s: choose an earlier end."),
    Format.DISCUSSION: gettext_lazy("A discussion lasts at most %(limit)s: choose an earlier end."),
}
NOT_SCHEDULABLE = {
    State.PROPOSED: gettext_lazy("A proposed session cannot be scheduled."),
    State.SCHEDULED: gettext_lazy("A scheduled session cannot be scheduled."),
    State.HELD: gettext_lazy("A held session cannot be scheduled."),
    State.CANCELLED: gettext_lazy("A cancelled session cannot be scheduled."),
}
NOT_CANCELLABLE = {
    State.PROPOSED: gettext_lazy("A proposed session cannot be cancelled."),
    State.SCHEDULED: gettext_lazy("A scheduled session cannot be cancelled."),
    State.HELD: gettext_lazy("A held session cannot be cancelled."),
    State.CANCELLED: gettext_lazy("A cancelled session cannot be cancelled."),
}


def session_default_end(*, start: datetime, format: str) -> datetime:
    return start + timedelta(minutes=format_minutes(format))


def session_length_check(*, start: datetime, end: datetime, format: str) -> None:
    """Refuse (``ValidationError`` on ``end``) an end not after the start, a session longer than
    its format allows (``FORMAT_MAX_MINUTES``) or one that ends on another day than it starts
    (in the installation's ``TIME_ZONE``; an end at midnight closes the day it started)."""
    if end <= start:
        raise ValidationError(
            {"end": _("The end must be after the start.")}, code="end_before_start"
        )
    tz = timezone.get_default_timezone()
    if (
        timezone.localtime(start, tz).date()
        != timezone.localtime(end - timedelta(microseconds=1), tz).date()
    ):
        raise ValidationError(
            {"end": _("A session ends on the day it starts: choose an end on the same day.")},
            code="session_spans_days",
        )
    longest = FORMAT_MAX_MINUTES[format]
    if end - start > timedelta(minutes=longest):
        hours, minutes = divmod(longest, 60)
        limit = (
            f"{hours} h {minutes:02d} min"
            if hours
            else ngettext("%(minutes)s minute", "%(minutes)s minutes", minutes)
            % {"minutes": minutes}
        )
        raise ValidationError(
            {"end": TOO_LONG[Format(format)] % {"limit": limit}},
            code="session_too_long",
        )


def _agenda_items(session: Session) -> list[AgendaItem]:
    """The format's default agenda: every new session starts with it (one path or many)."""
    return [
        AgendaItem(
            session=session, position=i, title=title, minutes=minutes, is_discussion=discussion
        )
        for i, (title, minutes, discussion) in enumerate(DEFAULT_AGENDAS[session.format], 1)
    ]


def _agenda_create(*, session: Session) -> None:
    AgendaItem.objects.bulk_create(_agenda_items(session))


def _created_change(*, session: Session, by: Person | int, on_behalf_of: str = "") -> SessionChange:
    """The history's first row of every session: created, as proposed."""
    return SessionChange(
        session=session,
        kind=SessionChange.Kind.CREATED,
        by_id=by if isinstance(by, int) else by.pk,
        to_state=State.PROPOSED,
        note=f"on behalf of {on_behalf_of}" if on_behalf_of else "",
    )


def held_note(*, attended: int, automatic: bool = False) -> str:
    """The note of a "held" history row: how many had attended when it was marked."""
    return ("marked held automatically; " if automatic else "") + f"{attended} attended"


def programme_check(*, programme: Programme, by: Person) -> None:
    """Refuse (``ValidationError`` on ``programme``) a programme ``by`` may not propose into."""
    if not rules.may_see_programme(by, programme):
        raise ValidationError(
            {
                "programme": _("You cannot propose into %(programme)s: it is for other teams.")
                % {"programme": programme.name}
            },
            code="programme_not_visible",
        )


@transaction.atomic
def session_propose(
    *,
    by: Person,
    title: str,
    abstract: str = "",
    format: str = Format.TALK,
    programme: Programme | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    level: str = Level.ALL,
    tags: Sequence[Tag] = (),
    cohosts: Iterable[Person] = (),
    location: str = "",
    call_url: str = "",
    capacity: int | None = None,
    visibility: str = Visibility.PUBLIC,
    teams: Sequence[Team] = (),
    proposed_by: Person | None = None,
) -> Session:
    """Create a proposed session hosted by ``by`` with the format's default agenda.

    ``proposed_by`` someone else: a draft proposed on ``by``'s behalf. It records the
    proposer and mails ``by`` to accept or decline hosting it (``kshare.sessions.drafts``).

    A date given with the proposal is a wish: the session stays *proposed* until it is scheduled.
    Only into a programme ``by`` may see (``rules.PROGRAMME_RULE``), else a ``ValidationError``
    on ``programme``. ``cohosts`` are asked (``cohosting.cohosts_name``), not added: each becomes
    a co-host by accepting.
    """
    programme = programme or programme_default()
    programme_check(programme=programme, by=by)
    if proposed_by is not None and proposed_by.pk == by.pk:
        proposed_by = None  # proposing for oneself is just proposing
    if start is not None and end is None:
        end = session_default_end(start=start, format=format)
    session = Session.objects.create(
        programme=programme,
        title=title,
        abstract=abstract,
        format=format,
        level=level,
        start=start,
        end=end,
        location=location,
        call_url=call_url,
        capacity=capacity,
        visibility=visibility,
        created_by=proposed_by or by,
        proposed_by=proposed_by,
    )
    session.tags.set(tags)
    session.teams.set(teams)
    SessionHost.objects.create(session=session, person=by, role=SessionHost.Role.HOST)
    cohosting.cohosts_name(session=session, people=cohosts, by=by)
    _agenda_create(session=session)
    _created_change(
        session=session,
        by=proposed_by or by,
        on_behalf_of=by.display_name if proposed_by else "",
    ).save()
    if proposed_by is not None:
        draft_host_ask(session=session, host=by, proposed_by=proposed_by)
    proposer = proposed_by or by
    transaction.on_commit(
        lambda: signals.session_proposed.send_robust(Session, session_id=session.pk, by=proposer),
        robust=True,
    )
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    by: Person,
    tags: Sequence[Tag] | None = None,
    cohosts: Iterable[Person] | None = None,
    teams: Sequence[Team] | None = None,
    **fields: object,
) -> ScheduleResult:
    """Change a session's details. A new start time of a scheduled session is a reschedule.

    A new ``start`` without an ``end`` keeps the session's length; a changed time must fit
    ``session_length_check`` (else a ``ValidationError`` on ``end``, nothing saved or mailed).
    """
    locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
    old_start = locked.start
    moved_to = fields.get("programme")
    if isinstance(moved_to, Programme) and moved_to.pk != locked.programme_id:
        programme_check(programme=moved_to, by=by)
    for name, value in fields.items():
        setattr(session, name, value)
    length = locked.duration
    if "end" not in fields and session.start not in (None, old_start) and length is not None:
        session.end = session.start + length  # a new start alone moves the session, length kept
    if session.start is not None and session.end is None:
        session.end = session_default_end(start=session.start, format=session.format)
    session.full_clean(exclude=["programme", "created_by"])
    timing = (session.start, session.end, session.format)
    if session.start and session.end and timing != (old_start, locked.end, locked.format):
        session_length_check(start=session.start, end=session.end, format=session.format)
    session.save()
    if tags is not None:
        session.tags.set(tags)
    if teams is not None:
        session.teams.set(teams)
    if cohosts is not None:
        cohosting.cohosts_set(session=session, people=cohosts, by=by)
    moved = session.state == State.SCHEDULED and old_start != session.start
    SessionChange.objects.create(
        session=session,
        kind=SessionChange.Kind.RESCHEDULED if moved else SessionChange.Kind.EDITED,
        by=by,
        from_state=session.state,
        to_state=session.state,
        old_start=old_start if moved else None,
        new_start=session.start if moved else None,
    )
    # A scheduled session's reminders follow a new start or programme (in this transaction).
    signals.session_changing.send(
        Session, session=session, change=signals.RESCHEDULED if moved else signals.EDITED
    )
    _invitations_after_update(session=session, locked=locked, moved=moved)
    transaction.on_commit(
        lambda: signals.session_changed.send_robust(Session, session_id=session.pk, by=by),
        robust=True,
    )
    if moved:
        new_start = session.start
        transaction.on_commit(
            lambda: signals.session_rescheduled.send_robust(
                Session, session_id=session.pk, by=by, old_start=old_start, new_start=new_start
            ),
            robust=True,
        )
    return ScheduleResult(session=session, warnings=_lead_time_warnings(session) if moved else [])


def _invitations_after_update(*, session: Session, locked: Session, moved: bool) -> None:
    if moved:  # invitees' calendars get the new time (next SEQUENCE)
        session.sequence = locked.sequence + 1
        session.save(update_fields=["sequence"])
        invitations_mark_changed(session=session)
        _hosts_notify(session=session)
    if session.capacity != locked.capacity and session.state == State.SCHEDULED:
        waitlist_promote(session=session)  # more seats (or no limit): the waitlist moves up


def _lead_time_warnings(session: Session) -> list[str]:
    if session.start is None:
        return []
    lead = session.programme.lead_time_days
    left = session.start - timezone.now()
    if left < timedelta(days=lead):
        days = max(left.days, 0)
        return [
            ngettext(
                "Only %(days)s day until the session: "
                "%(programme)s invites people at least %(lead)s days ahead.",
                "Only %(days)s days until the session: "
                "%(programme)s invites people at least %(lead)s days ahead.",
                days,
            )
            % {"days": days, "programme": session.programme.name, "lead": lead}
        ]
    return []


@transaction.atomic
def session_schedule(
    *, session: Session, start: datetime, by: Person, end: datetime | None = None
) -> ScheduleResult:
    """Commit to a slot: proposed → scheduled, or move a scheduled session (history kept).

    Without an ``end`` the session keeps its length (a proposal without one: the format's). The
    time must fit ``session_length_check``, else a ``ValidationError`` and nothing is mailed.
    Warns, without blocking, when fewer than the programme's lead-time days are left.
    """
    locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
    if locked.state not in (State.PROPOSED, State.SCHEDULED):  # scheduled or rescheduled
        raise ValidationError(NOT_SCHEDULABLE[State(locked.state)])
    if start <= timezone.now():
        raise ValidationError({"start": _("Choose a start time in the future.")})
    if end is None:
        length = locked.duration
        end = start + length if length else session_default_end(start=start, format=locked.format)
    session_length_check(start=start, end=end, format=locked.format)
    from_state, old_start = locked.state, locked.start
    session.start, session.end, session.state = start, end, State.SCHEDULED
    rescheduled = from_state == State.SCHEDULED
    # iCalendar SEQUENCE: invitees' calendars replace the event they have with the new time.
    session.sequence = locked.sequence + 1 if rescheduled else locked.sequence
    session.save(update_fields=["start", "end", "state", "sequence", "updated_at"])
    SessionChange.objects.create(
        session=session,
        kind=SessionChange.Kind.RESCHEDULED if rescheduled else SessionChange.Kind.SCHEDULED,
        by=by,
        from_state=from_state,
        to_state=State.SCHEDULED,
        old_start=old_start,
        new_start=start,
    )
    # The reminders are planned, or the pending ones moved, in this transaction.
    signals.session_changing.send(
        Session, session=session, change=signals.RESCHEDULED if rescheduled else signals.SCHEDULED
    )
    if rescheduled:
        _invitations_notify(session=session)  # REQUEST with the new time to invitees
    _hosts_notify(session=session)  # the hosts' confirmation or new time
    if rescheduled:
        transaction.on_commit(
            lambda: signals.session_rescheduled.send_robust(
                Session, session_id=session.pk, by=by, old_start=old_start, new_start=start
            ),
            robust=True,
        )
    else:
        transaction.on_commit(
            lambda: signals.session_scheduled.send_robust(
                Session, session_id=session.pk, by=by, start=start
            ),
            robust=True,
        )
    return ScheduleResult(session=session, warnings=_lead_time_warnings(session))


@transaction.atomic
def session_mark_held(*, session: Session, by: Person | None, automatic: bool = False) -> Session:
    """scheduled → held, once the session has started; freezes the attendance log.

    The history row's note records how many had attended at that moment ("N attended"); later
    changes to the log are kept as corrections (``AttendanceChange.after_held``). ``automatic``
    is the clock's mark (``by`` None), refused for a session without check-ins.
    """
    locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
    if locked.state not in TRANSITIONS[SessionChange.Kind.HELD][0]:
        raise ValidationError(_("Only a scheduled session can be marked as held."))
    if locked.start is None or locked.start > timezone.now():
        raise ValidationError(_("A session can be marked as held once it has started."))
    attended = Attendance.objects.filter(session=locked).count()
    if automatic and not attended:
        raise ValidationError(
            _("Nobody checked in, so the session is not marked held automatically.")
        )
    session.state = State.HELD
    session.save(update_fields=["state", "updated_at"])
    SessionChange.objects.create(
        session=session,
        kind=SessionChange.Kind.HELD,
        by=by,
        from_state=State.SCHEDULED,
        to_state=State.HELD,
        note=held_note(attended=attended, automatic=automatic),
    )
    # The hosts' summary is owed from now on, sent once the feedback has closed
    # (kshare/feedback/summary.py).
    Session.objects.filter(pk=session.pk).update(host_summary_due_at=timezone.now())
    signals.session_changing.send(Session, session=session, change=signals.HELD)
    # Attendees get the feedback form once the session is committed as held (kshare.feedback).
    transaction.on_commit(
        lambda: signals.session_held.send_robust(
            Session, session_id=session.pk, by=by, automatic=automatic
        ),
        robust=True,
    )
    return session


@transaction.atomic
def session_cancel(*, session: Session, by: Person, reason: str = "") -> Session:
    """proposed/scheduled → cancelled, with the reason in the history."""
    locked = Session.objects.select_for_update(no_key=True).get(pk=session.pk)
    if locked.state not in TRANSITIONS[SessionChange.Kind.CANCELLED][0]:
        raise ValidationError(NOT_CANCELLABLE[State(locked.state)])
    from_state = locked.state
    session.state = State.CANCELLED
    session.sequence = locked.sequence + 1
    session.save(update_fields=["state", "sequence", "updated_at"])
    SessionChange.objects.create(
        session=session,
        kind=SessionChange.Kind.CANCELLED,
        by=by,
        from_state=from_state,
        to_state=State.CANCELLED,
        note=cancel_note(reason),
    )
    # The pending reminders are dropped in this transaction.
    signals.session_changing.send(Session, session=session, change=signals.CANCELLED)
    _invitations_notify(session=session)  # METHOD:CANCEL to everyone mailed an invitation
    _hosts_notify(session=session)  # and to the hosts who had it in their calendar
    transaction.on_commit(
        lambda: signals.session_cancelled.send_robust(
            Session, session_id=session.pk, by=by, from_state=from_state
        ),
        robust=True,
    )
    return session


def cancel_note(reason: str) -> str:
    """The reason for a cancellation as its history row keeps it."""
    return reason[:500]


def _hosts_notify(*, session: Session) -> None:
    """The hosts are owed the session's new state (kshare/sessions/host_mail.py)."""
    hosts_mark_owed(session=session)


def _invitations_notify(*, session: Session) -> None:
    """Every invitee mailed (or owed a mail) is owed the new state, from this transaction on."""
    invitations_mark_changed(session=session)


# --- many sessions at once (the demo organisation) -------------------------------------------


@dataclass
class NewSession:
    """One session for ``sessions_create_bulk``: the unsaved row (its ``created_at``, ``state``,
    dates; its id when the caller plans ids), who hosts it, its tags and teams, and its history
    after "created", oldest first (``SessionChange`` rows without a session)."""

    session: Session
    host_id: int
    cohost_ids: Sequence[int] = ()
    tag_ids: Sequence[int] = ()
    team_ids: Sequence[int] = ()
    changes: Sequence[SessionChange] = ()


def _history_check(new: NewSession) -> int:
    """Refuse (``ValidationError``) a history the services could not have written; return the
    session's iCalendar SEQUENCE after it."""
    session, sequence = new.session, 0
    state: str = State.PROPOSED
    for change in new.changes:
        allowed = TRANSITIONS.get(change.kind)
        if allowed is None or state not in allowed[0] or change.from_state != state:
            raise ValidationError(
                f"“{session.title}”: a {state} session cannot be {change.kind}.", code="history"
            )
        if change.to_state != allowed[1]:
            raise ValidationError(
                f"“{session.title}”: {change.kind} leaves the session {allowed[1]}.",
                code="history",
            )
        if change.kind in (SessionChange.Kind.SCHEDULED, SessionChange.Kind.RESCHEDULED) and (
            change.new_start is None or change.new_start <= change.at
        ):  # session_schedule: "Choose a start time in the future."
            raise ValidationError(
                f"“{session.title}”: scheduled for a start before the decision.", code="history"
            )
        if change.kind == SessionChange.Kind.HELD and (
            session.start is None or session.start > change.at
        ):  # session_mark_held: "… once it has started."
            raise ValidationError(
                f"“{session.title}”: marked held before it started.", code="history"
            )
        if change.kind == SessionChange.Kind.CANCELLED:
            change.note = cancel_note(change.note)
        state = allowed[1]
        sequence += change.kind in SEQUENCE_KINDS
    if state != session.state:
        raise ValidationError(
            f"“{session.title}”: its history ends {state}, the session is {session.state}.",
            code="history",
        )
    return sequence


@transaction.atomic
def sessions_create_bulk(*, sessions: Sequence[NewSession]) -> list[Session]:
    """Create many sessions with their hosts, default agendas, tags, teams and history.

    The rules of ``session_propose``, ``session_schedule``, ``session_mark_held`` and
    ``session_cancel``, for rows that already happened: the end defaults to the format's length
    (``session_default_end``) and fits ``session_length_check``; one host, the format's agenda
    (``_agenda_items``) and the "created" history row (``_created_change``, at ``created_at``, by
    the creator) are added as ``session_propose`` adds them; the history after it must walk
    ``TRANSITIONS`` to the session's state (a start after each decision to schedule, "held" after
    the start), and SEQUENCE follows it (``SEQUENCE_KINDS``). Sessions with planned ids move the
    id sequence past them.

    Announces nothing but the saved rows: no domain signal (no topic mails, feedback, webhooks,
    reminders) and no owed calendar mail; ``rows_saved`` for ``Session`` on commit (search).
    """
    rows: list[Session] = []
    for new in sessions:
        session = new.session
        if session.start is not None and session.end is None:
            session.end = session_default_end(start=session.start, format=session.format)
        if session.start is not None and session.end is not None:
            session_length_check(start=session.start, end=session.end, format=session.format)
        if session.created_by_id is None:
            session.created_by_id = new.host_id
        session.sequence = _history_check(new)
        rows.append(session)
    preset = bool(rows) and all(session.pk is not None for session in rows)
    Session.objects.bulk_create(rows, batch_size=BULK_BATCH)
    if preset:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Session]):
                cursor.execute(sql)
    hosts: list[SessionHost] = []
    agenda: list[AgendaItem] = []
    changes: list[SessionChange] = []
    Tagged, Teamed = Session.tags.through, Session.teams.through
    tagged: list = []
    teamed: list = []
    for new in sessions:
        session = new.session
        hosts.append(
            SessionHost(session=session, person_id=new.host_id, role=SessionHost.Role.HOST)
        )
        hosts += [
            SessionHost(session=session, person_id=pk, role=SessionHost.Role.COHOST)
            for pk in new.cohost_ids
            if pk != new.host_id
        ]
        agenda += _agenda_items(session)
        created = _created_change(session=session, by=session.created_by_id or new.host_id)
        created.at = session.created_at
        changes.append(created)
        for change in new.changes:
            change.session = session
            changes.append(change)
        tagged += [Tagged(session_id=session.pk, tag_id=pk) for pk in dict.fromkeys(new.tag_ids)]
        teamed += [Teamed(session_id=session.pk, team_id=pk) for pk in dict.fromkeys(new.team_ids)]
    SessionHost.objects.bulk_create(hosts, batch_size=BULK_BATCH)
    AgendaItem.objects.bulk_create(agenda, batch_size=BULK_BATCH)
    SessionChange.objects.bulk_create(changes, batch_size=BULK_BATCH)
    Tagged.objects.bulk_create(tagged, batch_size=BULK_BATCH)
    Teamed.objects.bulk_create(teamed, batch_size=BULK_BATCH)
    rows_saved_announce(model=Session, ids=[session.pk for session in rows])
    return rows

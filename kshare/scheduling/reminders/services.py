"""Reminders: planned when a session is scheduled, sent by the worker's clock, never twice.

The rules, in one place:

- **Planning.** ``reminders_plan`` keeps one row per (session, kind, offset) from the programme's
  settings: host preparation reminders (``host_reminder_days``), invitee reminders
  (``invitee_reminder_hours``) and the nudge to invitees who have not answered
  (``nudge_days``, 0 = off). A reminder whose due time has already passed when the session is
  (re)scheduled is not planned at all: a session scheduled 20 hours ahead gets no 24-hour
  reminder next to its invitation. A row therefore exists only while a reminder is pending or
  once it was sent; rescheduling moves the pending ones, keeps the sent ones, and adds or drops
  rows when the programme's offsets changed. Cancelling drops the pending ones. The tick
  re-plans any upcoming session whose rows do not match its programme (``reminders_sync``):
  changed programme settings, sessions written without the services.
- **Sending.** ``reminders_send_due`` sends each due reminder of a session that is still
  scheduled and has not started. It locks the session row (as the session services do), then
  claims the reminder with ``UPDATE … WHERE sent_at IS NULL`` and queues the mails in the same
  transaction: a crash loses nothing and sends nothing twice, and of two workers only one claims.
- **Days off.** A reminder that would fall on a company closure day or a public holiday of the
  host's office (``scheduling.rhythm.daysoff``, the date in the host's timezone) moves to the same
  time on the previous working day (a weekday that is neither), so "your session is in two
  days" is not read after a long weekend. A reminder on the session's own day stays where it is.
- **Never a late burst.** A reminder goes out at most half its lead time late (a 24-hour
  reminder until 12 hours before the start, the 1-hour one until 30 minutes before); after that
  it is dropped, and so is a reminder overtaken by a later one of the same kind that is due too
  (after a long outage invitees get the 1-hour reminder, not the 24-hour one as well).
- **Recipients are computed at send time.** Preparation reminders go to the hosts and co-hosts;
  invitee reminders to invitees who answered yes or maybe (a "yes" on the waiting list gets the
  reminder with a note that no seat is free yet); the nudge only to invitees still pending.
  Hosts never get invitee mails; deactivated accounts get nothing.
- **Organiser digest.** Once a day, from 08:00 in the organiser's timezone, each organiser of a
  programme (the admins, for a programme without organisers) gets one mail listing the sessions
  that ended but are still *scheduled* — neither marked held nor cancelled. Only when there is
  one; the ``OrganiserDigest`` row (unique per person and day) is the claim.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.core.language import keeps_language, speak_to, when
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import Person, Role
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programme_reminder_offsets
from kshare.scheduling.reminders.models import OrganiserDigest, Reminder
from kshare.scheduling.rhythm.daysoff import (
    ClosureRule,
    closure_dates,
    closure_rules,
    previous_working_day,
)
from kshare.sessions.models import Invitation, Session, SessionHost, State
from kshare.sessions.rsvp_tokens import rsvp_link
from kshare.sessions.selectors import invitation_counts

logger = logging.getLogger(__name__)

Kind = Reminder.Kind

# Upper bound of reminders one tick sends; the rest wait for the next tick.
TICK_BATCH = 500
# The longest reminder a programme can ask for (60 days: the form's limit for preparation
# reminders and the nudge) and a day's margin: sessions further ahead have nothing due yet.
SYNC_HORIZON = timedelta(days=61)
# The organiser digest goes out from this hour, in the organiser's timezone.
DIGEST_HOUR = 8

MAIL_KINDS = {
    Kind.HOST_PREP: "reminder_host_prep",
    Kind.INVITEE: "reminder_invitee",
    Kind.NUDGE: "reminder_nudge",
}


def _offsets(programme: Programme) -> list[tuple[str, int]]:
    """(kind, minutes before the start) for every reminder ``programme`` asks for.

    The programme's one parser decides (a stored value its form would refuse counts as the
    default, so reminders still go out).
    """
    offsets = programme_reminder_offsets(programme)
    return sorted((kind, minutes) for kind, values in offsets.items() for minutes in values)


@dataclass(frozen=True)
class DaysOff:
    """The days a session's reminders avoid, as local dates of ``tz`` (the host's timezone)."""

    tz: ZoneInfo
    days: Collection[date] = ()


def reminders_days_off(
    *, session: Session, host: Person | None, rules: list[ClosureRule] | None = None
) -> DaysOff:
    """Closure days and the public holidays of ``host``'s office, in the host's timezone, over
    the reach of any reminder (``SYNC_HORIZON``) before ``session``. ``rules``: the closure days
    already read (else one query)."""
    from kshare.people.offices import public_holidays

    tz = host.tzinfo if host is not None else ZoneInfo("UTC")
    if session.start is None:
        return DaysOff(tz)
    last = session.start.astimezone(tz).date()
    first = last - SYNC_HORIZON - timedelta(days=7)  # room to step back over a holiday week
    days = set(closure_dates(closure_rules() if rules is None else rules, first=first, last=last))
    if host is not None:
        days |= set(public_holidays(region=host.office_region, first=first, last=last))
    return DaysOff(tz, days)


def _due(start: datetime, minutes: int, off: DaysOff) -> datetime:
    """``minutes`` before ``start``, moved to the previous working day when that is a day off
    (and not the session's own day)."""
    due = start - timedelta(minutes=minutes)
    local = due.astimezone(off.tz)
    if local.date() not in off.days or local.date() == start.astimezone(off.tz).date():
        return due
    day = previous_working_day(local.date(), off=off.days)
    return datetime.combine(day, local.time(), tzinfo=off.tz).astimezone(UTC)


def _host(session: Session) -> Person | None:
    """The session's host (the first host link), whose office's days off reminders avoid."""
    links = session.host_links.all()  # prefetched by reminders_sync
    host = next((link for link in links if link.role == SessionHost.Role.HOST), None)
    return host.person if host is not None else None


@transaction.atomic
def reminders_plan(*, session: Session, now: datetime | None = None) -> None:
    """Create, move or drop the pending reminders of ``session`` to match its state and start.

    Scheduled: one pending row per programme offset whose due time is still ahead; pending rows
    move with the start, sent rows stay as they are. Any other state: the pending rows go.
    The session row is locked, so planning and sending never interleave.
    """
    now = now or timezone.now()
    locked = (
        Session.objects.select_for_update(of=("self",), no_key=True)
        .select_related("programme")
        .get(pk=session.pk)
    )
    pending = Reminder.objects.filter(session=locked, sent_at__isnull=True)
    if locked.state != State.SCHEDULED or locked.start is None:
        pending.delete()
        return
    start = locked.start
    host = (
        SessionHost.objects.filter(session=locked, role=SessionHost.Role.HOST)
        .select_related("person")
        .order_by("id")
        .first()
    )
    off = reminders_days_off(session=locked, host=host.person if host else None)
    wanted = {
        (kind, minutes): _due(start, minutes, off) for kind, minutes in _offsets(locked.programme)
    }
    existing = {(r.kind, r.offset_minutes): r for r in Reminder.objects.filter(session=locked)}
    new: list[Reminder] = []
    # Pending reminders the programme no longer asks for go.
    drop = [r.pk for key, r in existing.items() if r.sent_at is None and key not in wanted]
    for key, due in wanted.items():
        reminder = existing.get(key)
        if reminder is None:
            if due > now:
                new.append(Reminder(session=locked, kind=key[0], offset_minutes=key[1], due_at=due))
        elif reminder.sent_at is None and reminder.due_at != due:
            if due > now:
                Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(due_at=due)
            else:
                drop.append(reminder.pk)  # moved into the past: never sent late
        # An unchanged pending reminder stays, even when due: the sender decides about it.
    pending.filter(pk__in=drop).delete()
    Reminder.objects.bulk_create(new)


def reminders_plan_programme(*, programme: Programme, now: datetime | None = None) -> int:
    """Re-plan every upcoming scheduled session of ``programme`` (after its offsets changed)."""
    now = now or timezone.now()
    ids = list(
        Session.objects.filter(
            programme=programme, state=State.SCHEDULED, start__gt=now
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        reminders_plan(session=Session(pk=pk), now=now)
    return len(ids)


def _in_sync(
    session: Session, reminders: list[Reminder], now: datetime, rules: list[ClosureRule]
) -> bool:
    """True when ``reminders_plan`` would change nothing for ``session``."""
    assert session.start is not None  # scheduled sessions have a start
    off = reminders_days_off(session=session, host=_host(session), rules=rules)
    wanted = {
        (kind, minutes): _due(session.start, minutes, off)
        for kind, minutes in _offsets(session.programme)
    }
    have = {(r.kind, r.offset_minutes): r for r in reminders}
    for key, due in wanted.items():
        reminder = have.get(key)
        if reminder is None and due > now:
            return False  # missing
        if reminder is not None and reminder.sent_at is None and reminder.due_at != due:
            return False  # not moved
    # A pending reminder the programme no longer asks for.
    return all(r.sent_at is not None or key in wanted for key, r in have.items())


def reminders_sync(*, now: datetime | None = None) -> int:
    """Re-plan the upcoming scheduled sessions whose reminders do not match their programme.

    The safety net behind the services: a programme whose reminder settings changed, sessions
    scheduled outside the services (imports, the demo) or before reminders existed. Five
    queries when everything is in sync; looks only as far ahead as the longest reminder
    setting allows (60 days), so nothing due can be missed. Returns the sessions re-planned.
    """
    now = now or timezone.now()
    sessions = (
        Session.objects.filter(state=State.SCHEDULED, start__gt=now, start__lte=now + SYNC_HORIZON)
        .select_related("programme")
        .prefetch_related("reminders", "host_links__person")
        .order_by("start", "id")
    )
    planned = 0
    rules = closure_rules()
    for session in sessions:
        if not _in_sync(session, list(session.reminders.all()), now, rules):
            reminders_plan(session=session, now=now)
            planned += 1
    return planned


# --- sending -------------------------------------------------------------------------------


def _when(session: Session, tz: ZoneInfo) -> str:
    """The start and end in ``tz``: "Thursday 2 April 2026, 15:00\u201315:45 (Europe/Berlin)"."""
    assert session.start is not None
    start = session.start.astimezone(tz)
    text = when(start, tz)  # the active language's way of writing a day
    if session.end is not None:
        end = session.end.astimezone(tz)
        same_day = end.date() == start.date()
        text += ("\u2013" + date_format(end, "H:i")) if same_day else (" \u2013 " + when(end, tz))
    return f"{text} ({tz.key})"


def _session_link(session: Session) -> str:
    return settings.SITE_URL + session.get_absolute_url()


def _recipients(reminder: Reminder, session: Session) -> list[tuple[Person, Invitation | None]]:
    """(person, their invitation; None for hosts) for everyone ``reminder`` goes to, now."""
    if reminder.kind == Kind.HOST_PREP:
        links = (
            SessionHost.objects.filter(session=session, person__is_active=True)
            .select_related("person")
            .order_by("-role", "id")
        )
        return [(link.person, None) for link in links]
    answers = (
        [Invitation.Response.YES, Invitation.Response.MAYBE]
        if reminder.kind == Kind.INVITEE
        else [Invitation.Response.PENDING]
    )
    invitations = (
        Invitation.objects.filter(session=session, response__in=answers, person__is_active=True)
        .exclude(person__in=SessionHost.objects.filter(session=session).values("person_id"))
        .select_related("person")
        .order_by("created_at", "id")
    )
    return [(invitation.person, invitation) for invitation in invitations]


def _reminder_subject(reminder: Reminder, session: Session) -> str:
    lead = reminder.lead
    title = one_line(session.title)
    if reminder.kind == Kind.HOST_PREP:
        return _("Your session “%(title)s” is in %(lead)s: time to prepare") % {
            "title": title,
            "lead": lead,
        }
    if reminder.kind == Kind.INVITEE:
        return _("Reminder: “%(title)s” starts in %(lead)s") % {"title": title, "lead": lead}
    return _("Will you come to “%(title)s”? Please answer") % {"title": title}


@keeps_language
def _reminder_mail(
    *,
    reminder: Reminder,
    session: Session,
    person: Person,
    invitation: Invitation | None,
    counts: dict[str, int],
) -> None:
    tz = person.tzinfo
    speak_to(person)
    waitlisted = (
        invitation is not None
        and invitation.response == Invitation.Response.YES
        and invitation.waitlisted_at is not None
    )
    context = {
        "person": person,
        "session": session,
        "programme": session.programme,
        "lead": reminder.lead,
        # Formatted here: templates would convert aware times back to the active timezone.
        "when": _when(session, tz),
        "link": _session_link(session),
        # The call through kshare: it checks the invitee in when they join in the window.
        "join_link": (
            settings.SITE_URL + reverse("attendance:join", args=[session.pk])
            if session.call_url
            else ""
        ),
        "invitation": invitation,
        "waitlisted": waitlisted,
        # One-click answers that work without signing in (the page asks to confirm).
        "answer_link": rsvp_link(invitation) if invitation is not None else "",
        "answer_links": (
            {answer: rsvp_link(invitation, answer) for answer in ("yes", "maybe", "no")}
            if invitation is not None
            else {}
        ),
        "counts": counts,
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    message = EmailMultiAlternatives(
        subject=_reminder_subject(reminder, session),
        body=render_to_string(f"reminders/email/{reminder.kind}.txt", context),
        to=[person.email],
    )
    message.attach_alternative(
        render_to_string(f"reminders/email/{reminder.kind}.html", context), "text/html"
    )
    mail_queue(message, kind=MAIL_KINDS[Kind(reminder.kind)])


def _overtaken(reminder: Reminder, now: datetime) -> bool:
    """Too late to be useful: more than half its lead time late, or a later one is due too."""
    if now - reminder.due_at > timedelta(minutes=reminder.offset_minutes) / 2:
        return True
    return Reminder.objects.filter(
        session_id=reminder.session_id,
        kind=reminder.kind,
        offset_minutes__lt=reminder.offset_minutes,
        sent_at__isnull=True,
        due_at__lte=now,
    ).exists()


@transaction.atomic
def reminder_send(*, reminder_id: int, now: datetime | None = None) -> bool:
    """Send one due reminder if this call claims it; True when it was sent now.

    Dropped instead (deleted, so a reschedule can plan it again) when it is overtaken or the
    programme no longer asks for it.
    """
    now = now or timezone.now()
    session_id = (
        Reminder.objects.filter(pk=reminder_id).values_list("session_id", flat=True).first()
    )
    if session_id is None:
        return False
    # The session's lock first, as reminders_plan and the session services take it.
    session = (
        Session.objects.select_for_update(of=("self",), no_key=True)
        .select_related("programme")
        .filter(pk=session_id)
        .first()
    )
    if session is None or session.state != State.SCHEDULED or session.start is None:
        return False
    if session.start <= now:
        return False
    reminder = Reminder.objects.filter(
        pk=reminder_id, sent_at__isnull=True, due_at__lte=now
    ).first()
    if reminder is None:
        return False
    wanted = (reminder.kind, reminder.offset_minutes) in _offsets(session.programme)
    if not wanted or _overtaken(reminder, now):
        Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).delete()
        return False
    # The claim: of two workers only one changes the row.
    if Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(sent_at=now) != 1:
        return False
    counts = invitation_counts(session=session) if reminder.kind == Kind.HOST_PREP else {}
    mailed = 0
    for person, invitation in _recipients(reminder, session):
        try:
            with transaction.atomic():
                _reminder_mail(
                    reminder=reminder,
                    session=session,
                    person=person,
                    invitation=invitation,
                    counts=counts,
                )
        except ValueError:
            # The outbox refuses what it cannot send (e.g. a header with a line break): one
            # bad address must not hold back everybody else's reminder.
            logger.exception("Reminder %s: no mail for person %s", reminder.pk, person.pk)
            continue
        mailed += 1
    Reminder.objects.filter(pk=reminder.pk).update(recipients=mailed)
    return True


def reminders_drop_lapsed(*, now: datetime | None = None) -> int:
    """Delete pending reminders that can never go out: their session is no longer scheduled,
    or has started. Keeps the due-reminder query short."""
    now = now or timezone.now()
    lapsed = Reminder.objects.filter(sent_at__isnull=True, due_at__lte=now).filter(
        ~Q(session__state=State.SCHEDULED) | Q(session__start__lte=now)
    )
    ids = list(lapsed.values_list("pk", flat=True)[:TICK_BATCH])
    deleted, _count = Reminder.objects.filter(pk__in=ids, sent_at__isnull=True).delete()
    return deleted


def reminders_send_due(*, now: datetime | None = None) -> int:
    """Send every reminder that is due now; returns how many this call sent.

    Safe to run again and in several workers at once: each reminder is sent by the one call
    that claims it. A reminder whose mails fail to be queued stays pending for the next tick.
    """
    now = now or timezone.now()
    due = (
        Reminder.objects.filter(
            sent_at__isnull=True,
            due_at__lte=now,
            session__state=State.SCHEDULED,
            session__start__gt=now,
        )
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:TICK_BATCH]
    )
    sent = 0
    for reminder_id in list(due):
        try:
            sent += reminder_send(reminder_id=reminder_id, now=now)
        except DatabaseError:
            raise  # the database is away or busy: the whole tick runs again later
        except Exception:
            # Rolled back, so still pending: the next tick tries again.
            logger.exception("Reminder %s could not be sent; retried later", reminder_id)
    return sent


# --- the organiser digest ------------------------------------------------------------------


def sessions_unclosed(*, now: datetime | None = None) -> QuerySet[Session]:
    """Sessions whose end has passed that are still *scheduled*: neither held nor cancelled."""
    now = now or timezone.now()
    return Session.objects.filter(
        Q(end__lte=now) | Q(end__isnull=True, start__lte=now), state=State.SCHEDULED
    )


def _digest_organisers(programme_ids: set[int]) -> dict[int, set[int]]:
    """person id → the programme ids whose unclosed sessions they hear about.

    A programme's organisers who can act on its sessions (organiser or admin role); the admins
    for a programme without any.
    """
    can_act = Q(person__is_active=True) & (
        Q(person__role__in=[Role.ORGANISER, Role.ADMIN]) | Q(person__is_superuser=True)
    )
    links = Programme.organisers.through.objects.filter(can_act, programme_id__in=programme_ids)
    people: dict[int, set[int]] = defaultdict(set)
    for programme_id, person_id in links.values_list("programme_id", "person_id"):
        people[person_id].add(programme_id)
    orphans = programme_ids - {p for ps in people.values() for p in ps}
    if orphans:
        admins = Person.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
        for person_id in admins.values_list("pk", flat=True):
            people[person_id] |= orphans
    return people


@keeps_language
def _digest_mail(*, person: Person, sessions: list[Session]) -> None:
    tz = person.tzinfo
    speak_to(person)
    rows = [
        {
            "session": session,
            "when": _when(session, tz),
            "link": _session_link(session),
            "cancel_link": settings.SITE_URL + reverse("sessions:cancel", args=[session.pk]),
        }
        for session in sessions
    ]
    count = len(rows)
    context = {
        "person": person,
        "rows": rows,
        "count": count,
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    message = EmailMultiAlternatives(
        subject=ngettext(
            "%(count)d session to close: held or cancelled?",
            "%(count)d sessions to close: held or cancelled?",
            count,
        )
        % {"count": count},
        body=render_to_string("reminders/email/organiser_digest.txt", context),
        to=[person.email],
    )
    message.attach_alternative(
        render_to_string("reminders/email/organiser_digest.html", context), "text/html"
    )
    mail_queue(message, kind="reminder_organiser_digest")


def digests_send(*, now: datetime | None = None) -> int:
    """Mail today's digest to each organiser who has unclosed sessions; returns the mails sent.

    Once per person and local day: inserting the ``OrganiserDigest`` row is the claim, in the
    transaction that queues the mail, so a second run or a second worker sends nothing.
    """
    now = now or timezone.now()
    unclosed = sessions_unclosed(now=now)
    programme_ids = set(unclosed.order_by().values_list("programme_id", flat=True).distinct())
    if not programme_ids:
        return 0
    sent = 0
    organisers = _digest_organisers(programme_ids)
    # Every local "today" is within a day of UTC's: one query tells who already had theirs.
    had = set(
        OrganiserDigest.objects.filter(
            person_id__in=list(organisers), day__gte=now.date() - timedelta(days=1)
        ).values_list("person_id", "day")
    )
    for person in Person.objects.filter(pk__in=list(organisers)).order_by("pk"):
        local = now.astimezone(person.tzinfo)
        if local.hour < DIGEST_HOUR:
            continue
        day = local.date()
        if (person.pk, day) in had:
            continue
        sessions = list(
            unclosed.filter(programme_id__in=organisers[person.pk])
            .select_related("programme")
            .order_by("end", "id")
        )
        try:
            with transaction.atomic():
                OrganiserDigest.objects.create(
                    person=person, day=day, sessions=len(sessions), sent_at=now
                )
                _digest_mail(person=person, sessions=sessions)
        except IntegrityError:  # another worker sent today's digest first
            continue
        except DatabaseError:
            raise
        except Exception:  # rolled back: tried again at the next tick
            logger.exception("The organiser digest for person %s failed", person.pk)
            continue
        sent += 1
    return sent


# --- the tick ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TickResult:
    planned: int
    dropped: int
    sent: int
    digests: int


def reminders_tick(*, now: datetime | None = None) -> TickResult:
    """The periodic work: re-plan what is out of sync, drop what lapsed, send what is due,
    the organiser digests."""
    now = now or timezone.now()
    planned = reminders_sync(now=now)
    dropped = reminders_drop_lapsed(now=now)
    sent = reminders_send_due(now=now)
    digests = digests_send(now=now)
    return TickResult(planned=planned, dropped=dropped, sent=sent, digests=digests)

"""The catch-up feed: sessions someone missed that now have material, and what they did with them.

The rules, in one place:

- **In the feed** is a *held* session that the person may see (``sessions_visible_to``), that has
  at least one material, that the person neither attended nor hosted, and that either they were
  invited to or that carries one of their interests as a tag. Sessions they marked as watched or
  as not interesting are left out. Newest first.
- **Signals.** "Mark as watched" and "Not interested" are ``CatchUpSignal`` rows (unique per
  person, session and kind), read by the recommender too. Marking twice, or two clicks racing,
  leaves one row; undoing what is not there is a no-op. Only sessions the person may see can be
  marked (``Http404`` otherwise, like a session that does not exist).
- **Weekly e-mail** (opt-in, ``CatchUpSubscription.weekly_email``). On Mondays, from 08:00 in
  the person's timezone until the end of their Monday, the clock's tick checks each subscriber
  once: the conditional ``UPDATE … WHERE last_sent_on < this Monday`` is the claim, in the
  transaction that queues the mail, so racing workers and repeated ticks send at most one mail
  per person and ISO week. The mail goes out only when the feed has *new* items: sessions that
  got material since the last check (08:00 in the person's timezone on ``last_sent_on``; for a
  first mail, everything in the feed). A week without news is claimed too (``last_sent_on``
  then means "last checked"), so each subscriber costs a few queries once a week, not every
  tick. A worker that is down for a person's whole Monday skips that week: no late mails.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.paginator import Page, Paginator
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kshare.core.language import keeps_language, speak_to, when
from kshare.core.signals import rows_saved_announce
from kshare.library.models import CatchUpSignal, CatchUpSubscription, Material, Transcript
from kshare.outbox.preferences import mail_category_set
from kshare.outbox.services import mail_queue
from kshare.people.models import Person
from kshare.sessions.models import Attendance, Invitation, Session, SessionHost, State
from kshare.sessions.selectors import sessions_visible_to
from kshare.visibility import rules

logger = logging.getLogger(__name__)

Kind = CatchUpSignal.Kind

PAGE_SIZE = 20
# The weekly mail: from this hour on Mondays, in the person's timezone; at most this many sessions.
WEEKLY_HOUR = 8
WEEKLY_LIMIT = 10
# Subscribers checked per tick at most; the rest wait for the next tick (still Monday for them).
TICK_BATCH = 500
# Ids per IN (…) and rows per INSERT in ``catchup_signals_create_bulk``.
BULK_BATCH = 2_000

# The material labels a feed card shows, in this order ("transcript": a recording with one).
MATERIAL_LABELS = {
    "recording": gettext_lazy("Recording"),
    "slides": gettext_lazy("Slides"),
    "notes": gettext_lazy("Notes"),
    # Said as news: reading is quicker than watching (automatic transcripts make this common).
    "transcript": gettext_lazy("Transcript available"),
    "link": gettext_lazy("Links"),
}


# --- the feed ------------------------------------------------------------------------------


def _for_cards(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """What a card shows (programme, hosts, tags) in a fixed number of queries."""
    return sessions.select_related("programme").prefetch_related(
        Prefetch(
            "host_links",
            queryset=SessionHost.objects.select_related("person").order_by("-role", "id"),
        ),
        "tags",
    )


def _has_material(kind: str | None = None) -> Exists:
    materials = Material.objects.filter(session=OuterRef("pk"))
    return Exists(materials.filter(kind=kind) if kind else materials)


def catchup_sessions(*, person: Person) -> QuerySet[Session]:
    """The sessions in ``person``'s catch-up feed, newest first, annotated with ``cu_invited``
    and one ``cu_<kind>`` flag per material label (no rows read per session)."""
    if not person.is_authenticated or not person.is_active:
        return Session.objects.none()
    # Sets computed once (hashed subplans on PostgreSQL), not subqueries per session: the
    # planner then starts from the person's few candidates instead of every session.
    invitations = Invitation.objects.filter(person=person)
    interests = Person.interests.through.objects.filter(person_id=person.pk).values("tag_id")
    tagged = Session.tags.through.objects.filter(tag_id__in=interests).values("session_id")
    attended = Attendance.objects.filter(person=person).values("session_id")
    hosted = SessionHost.objects.filter(person=person).values("session_id")
    signalled = CatchUpSignal.objects.filter(person=person).values("session_id")
    return (
        sessions_visible_to(person=person)
        .filter(_has_material(), state=State.HELD)
        .filter(Q(pk__in=invitations.values("session_id")) | Q(pk__in=tagged))
        .exclude(pk__in=attended)
        .exclude(pk__in=hosted)
        .exclude(pk__in=signalled)
        .annotate(
            cu_invited=Exists(invitations.filter(session=OuterRef("pk"))),
            cu_recording=_has_material(Material.Kind.RECORDING),
            cu_slides=_has_material(Material.Kind.SLIDES),
            cu_notes=_has_material(Material.Kind.NOTES),
            cu_link=_has_material(Material.Kind.LINK),
            cu_transcript=Exists(Transcript.objects.filter(material__session=OuterRef("pk"))),
        )
        .order_by("-start", "-id")
    )


@dataclass(frozen=True)
class CatchUpItem:
    """One card of the feed: the session, why it is there, which materials it has."""

    session: Session
    invited: bool
    interests: list[str] = field(default_factory=list)
    materials: list[tuple[str, str]] = field(default_factory=list)  # (kind, label)

    @property
    def reasons(self) -> list[str]:
        reasons = [_("You were invited")] if self.invited else []
        if self.interests:
            reasons.append(
                ngettext(
                    "Matches your interest: %(names)s",
                    "Matches your interests: %(names)s",
                    len(self.interests),
                )
                % {"names": ", ".join(self.interests)}
            )
        return reasons


def _interest_ids(person: Person) -> set[int]:
    links = Person.interests.through.objects.filter(person_id=person.pk)
    return set(links.values_list("tag_id", flat=True))


def _items(sessions: list[Session], interest_ids: set[int]) -> list[CatchUpItem]:
    return [
        CatchUpItem(
            session=session,
            invited=session.cu_invited,  # type: ignore[attr-defined]
            interests=sorted(t.name for t in session.tags.all() if t.pk in interest_ids),
            materials=[
                (kind, label)
                for kind, label in MATERIAL_LABELS.items()
                if getattr(session, f"cu_{kind}", False)
            ],
        )
        for session in sessions
    ]


def catchup_feed(*, person: Person, page: int | str | None = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of ``person``'s catch-up feed; its ``object_list`` holds ``CatchUpItem``s.

    A fixed number of queries whatever the page size: the count, the page, its tags and hosts,
    the person's interests.
    """
    paginator = Paginator(_for_cards(catchup_sessions(person=person)), per_page)
    result = paginator.get_page(page)
    interest_ids = _interest_ids(person) if result.object_list else set()
    result.object_list = _items(list(result.object_list), interest_ids)  # type: ignore[assignment]
    return result


def catchup_item(*, person: Person, session_id: int) -> CatchUpItem | None:
    """The feed card of one session, or ``None`` when the session is not in the feed."""
    sessions = list(_for_cards(catchup_sessions(person=person)).filter(pk=session_id))
    if not sessions:
        return None
    return _items(sessions, _interest_ids(person))[0]


# --- signals -------------------------------------------------------------------------------


def _visible(person: Person, session: Session | int) -> Session:
    pk = session.pk if isinstance(session, Session) else session
    found = sessions_visible_to(person=person).filter(pk=pk).first()
    if found is None:
        raise Http404("No such session.")
    return found


def _kind_check(kind: str) -> None:
    if kind not in Kind.values:
        raise ValueError(f"Unknown catch-up signal: {kind!r}.")


def catchup_mark(*, person: Person, session: Session | int, kind: str) -> CatchUpSignal:
    """Record that ``person`` watched ``session``'s material, or is not interested in it.

    Idempotent and safe against double clicks: the unique constraint keeps one row, a racing
    insert that loses is read back. ``Http404`` for a session the person may not see;
    ``ValueError`` for an unknown kind.
    """
    _kind_check(kind)
    found = _visible(person, session)
    existing = CatchUpSignal.objects.filter(person=person, session=found, kind=kind).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return CatchUpSignal.objects.create(person=person, session=found, kind=kind)
    except IntegrityError:  # the other click won: its row is the one
        return CatchUpSignal.objects.get(person=person, session=found, kind=kind)


def catchup_unmark(*, person: Person, session: Session | int, kind: str) -> bool:
    """Undo a signal; True when there was one to remove. ``Http404`` as for ``catchup_mark``."""
    _kind_check(kind)
    found = _visible(person, session)
    deleted, _ = CatchUpSignal.objects.filter(person=person, session=found, kind=kind).delete()
    return deleted > 0


@transaction.atomic
def catchup_signals_create_bulk(*, signals: Sequence[CatchUpSignal]) -> list[CatchUpSignal]:
    """Record many catch-up signals as ``catchup_mark`` would (the demo's, at their own times).

    The rules of ``catchup_mark`` for every row: a known kind (``_kind_check``; ``ValueError``
    otherwise), a session the person may see (``rules.may_see``, the rule
    ``sessions_visible_to`` applies, on facts read once per batch; ``ValidationError``
    otherwise, where the one-row path answers 404), one row per person, session and kind (a
    repeat, in the call or in the database, is left alone as marking twice is). A fixed number
    of queries per batch. Announces nothing but the saved rows (``rows_saved`` on commit).
    Returns the created signals.
    """
    for signal in signals:
        _kind_check(signal.kind)
    session_ids = sorted({s.session_id for s in signals})
    person_ids = sorted({s.person_id for s in signals})
    facts: dict[int, rules.SessionFacts] = {}
    seen: set[tuple[int, int, str]] = set()
    for start in range(0, len(session_ids), BULK_BATCH):
        part = session_ids[start : start + BULK_BATCH]
        facts.update(
            rules.session_facts(
                Session.objects.filter(pk__in=part).only("pk", "visibility", "programme_id")
            )
        )
        seen.update(
            CatchUpSignal.objects.filter(session_id__in=part).values_list(
                "person_id", "session_id", "kind"
            )
        )
    people: dict[int, Person] = {}
    for start in range(0, len(person_ids), BULK_BATCH):
        people.update(
            (p.pk, p)
            for p in Person.objects.filter(pk__in=person_ids[start : start + BULK_BATCH]).only(
                "pk", "team_id", "is_active", "role", "is_superuser"
            )
        )
    new: list[CatchUpSignal] = []
    for signal in signals:
        key = (signal.person_id, signal.session_id, signal.kind)
        if key in seen:
            continue
        seen.add(key)
        session_facts = facts.get(signal.session_id)
        person = people.get(signal.person_id)
        if (
            session_facts is None
            or person is None
            or not rules.may_see(person, Session(pk=signal.session_id), facts=session_facts)
        ):
            raise ValidationError("A catch-up signal is only for a session its person may see.")
        new.append(signal)
    CatchUpSignal.objects.bulk_create(new, batch_size=BULK_BATCH)
    rows_saved_announce(model=CatchUpSignal, ids=[s.pk for s in new if s.pk is not None])
    return new


def catchup_recent_signals(*, person: Person, limit: int = 5) -> list[CatchUpSignal]:
    """The latest signals of ``person`` on sessions they may still see (for undo without JS)."""
    visible = sessions_visible_to(person=person).filter(pk=OuterRef("session_id"))
    return list(
        CatchUpSignal.objects.filter(Exists(visible), person=person)
        .select_related("session")
        .order_by("-at", "-id")[:limit]
    )


# --- the weekly e-mail ---------------------------------------------------------------------


def catchup_subscription_for(*, person: Person) -> CatchUpSubscription | None:
    return CatchUpSubscription.objects.filter(person=person).first()


@transaction.atomic
def catchup_subscription_set(*, person: Person, weekly_email: bool) -> CatchUpSubscription:
    """Switch the weekly catch-up e-mail on or off for ``person`` (idempotent)."""
    subscription, _ = CatchUpSubscription.objects.get_or_create(person=person)
    if subscription.weekly_email != weekly_email:
        subscription.weekly_email = weekly_email
        subscription.save(update_fields=["weekly_email"])
    if weekly_email:
        # Choosing the mail here also turns its category on in the notification settings.
        mail_category_set(person_id=person.pk, category="catchup", on=True)
    return subscription


def catchup_follow_mail_settings(*, person_id: int, category: str, on: bool, **kwargs) -> None:
    """Receiver: "Weekly catch-up" turned off (notification settings or the mail's one-click
    unsubscribe) switches the weekly e-mail off here too, so the catch-up page says so."""
    if category == "catchup" and not on:
        CatchUpSubscription.objects.filter(person_id=person_id, weekly_email=True).update(
            weekly_email=False
        )


def _zone(name: str) -> ZoneInfo:
    return Person(timezone=name).tzinfo


def _monday_morning(now: datetime, tz: ZoneInfo) -> date | None:
    """The local date when it is Monday, 08:00 or later, in ``tz``; otherwise ``None``."""
    local = now.astimezone(tz)
    if local.weekday() == 0 and local.hour >= WEEKLY_HOUR:
        return local.date()
    return None


def catchup_new_sessions(
    *, person: Person, since: datetime | None, limit: int = WEEKLY_LIMIT
) -> tuple[list[CatchUpItem], int]:
    """Feed items with material added after ``since`` (all of them when ``None``), newest
    first, at most ``limit``; and how many there are in all."""
    sessions = catchup_sessions(person=person)
    if since is not None:
        sessions = sessions.filter(
            Exists(Material.objects.filter(session=OuterRef("pk"), created_at__gt=since))
        )
    total = sessions.count()
    if not total:
        return [], 0
    page = list(_for_cards(sessions)[:limit])
    return _items(page, _interest_ids(person)), total


def _when(session: Session, tz: ZoneInfo) -> str:
    assert session.start is not None
    # The active language's way (day and month names, order), not strftime's English.
    return f"{when(session.start, tz)} ({tz.key})"


@keeps_language
def _weekly_mail(*, person: Person, items: list[CatchUpItem], total: int) -> None:
    tz = person.tzinfo
    speak_to(person)
    feed_link = settings.SITE_URL + reverse("library:catchup")
    rows = [
        {
            "item": item,
            "session": item.session,
            "when": _when(item.session, tz),
            "link": settings.SITE_URL + item.session.get_absolute_url() + "#materials",
            "materials": ", ".join(str(label) for _kind, label in item.materials),
            "reasons": "; ".join(item.reasons),
        }
        for item in items
    ]
    context = {
        "person": person,
        "rows": rows,
        "count": len(rows),
        "total": total,
        "more": total - len(rows),
        "feed_link": feed_link,
        "settings_link": feed_link + "#weekly-email",
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    subject = ngettext(
        "Catch up: %(count)s session you missed now has material",
        "Catch up: %(count)s sessions you missed now have material",
        total,
    ) % {"count": total}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("library/email/catchup.txt", context),
        to=[person.email],
    )
    message.attach_alternative(render_to_string("library/email/catchup.html", context), "text/html")
    mail_queue(message, kind="catchup_weekly")


def catchup_weekly_send(*, now: datetime | None = None) -> int:
    """Check the subscribers whose Monday 08:00 has come and mail those with news; returns
    the mails queued. Safe to run again and in several workers at once (see the module)."""
    now = now or timezone.now()
    subscribed = CatchUpSubscription.objects.filter(weekly_email=True, person__is_active=True)
    zones = set(subscribed.values_list("person__timezone", flat=True).distinct())
    mondays = {zone: day for zone in zones if (day := _monday_morning(now, _zone(zone)))}
    if not mondays:
        return 0
    # Checked this week already: last_sent_on is this Monday, at most a day from UTC's date.
    recent = now.date() - timedelta(days=1)
    due = (
        subscribed.filter(person__timezone__in=list(mondays))
        .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=recent))
        .select_related("person")
        .order_by("pk")[:TICK_BATCH]
    )
    sent = 0
    for subscription in list(due):
        person = subscription.person
        monday = mondays[person.timezone]
        last = subscription.last_sent_on
        if last is not None and last >= monday:
            continue
        since = (
            datetime.combine(last, time(WEEKLY_HOUR), tzinfo=person.tzinfo)
            if last is not None
            else None
        )
        try:
            items, total = catchup_new_sessions(person=person, since=since)
            with transaction.atomic():
                claimed = (
                    CatchUpSubscription.objects.filter(pk=subscription.pk, weekly_email=True)
                    .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=monday))
                    .update(last_sent_on=monday)
                )
                if claimed != 1 or not items:
                    continue  # another worker had it, or nothing new this week
                _weekly_mail(person=person, items=items, total=total)
        except DatabaseError:
            raise  # the database is away or busy: the whole tick runs again later
        except Exception:
            # Rolled back, so unclaimed: the next tick (still Monday) tries again.
            logger.exception("The weekly catch-up mail for person %s failed", person.pk)
            continue
        sent += 1
    return sent

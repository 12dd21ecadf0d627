"""The cadence nudge: tell a programme's organisers when a slot of its cadence in the next four
weeks has no session yet, with who could host and which topics colleagues asked for.

A slot on a day off is no open slot: not on a company closure day, nor on a public holiday
that every organiser with an office set has (the date in the cadence's timezone), so nobody is
asked to fill 25 December or Epiphany in Munich.

Run from the clock (``cadence_nudge_task``) and idempotent: each slot is claimed with a
``CadenceNudge`` row (unique per programme and slot) in the same transaction as the mails it
queues, so a slot is nudged once, however many workers or ticks run; a failure rolls both back
and the next tick tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Value, When
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.core.language import keeps_language, speak_to, when
from kshare.feedback.models import ProspectiveHost
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.programmes.selectors import (
    programme_cadence_days_off,
    programme_cadence_starts,
    programme_cadence_tz,
)
from kshare.scheduling.reminders.models import CadenceNudge
from kshare.sessions.models import Session, State
from kshare.topics.models import TopicRequest

logger = logging.getLogger(__name__)

NUDGE_HORIZON = timedelta(days=28)
# At most this many slots of one programme are looked at per run (a daily cadence has 20).
MAX_SLOTS = 40


# -- the slots and what fills them (read by the nudge and by the programme page's cadence card,
# reminders/parts.py); here rather than in programmes, which sits below sessions, feedback and
# topics


@dataclass(frozen=True)
class CadenceSlot:
    """One slot of a programme's cadence (UTC) and the session in it, if any."""

    start: datetime
    end: datetime
    session: Session | None

    @property
    def is_open(self) -> bool:
        return self.session is None


def programme_cadence_slots(
    *, programme: Programme, after: datetime, count: int = 6, before: datetime | None = None
) -> list[CadenceSlot]:
    """The next ``count`` cadence slots starting at or after ``after`` (or those before
    ``before``), each with the scheduled or held session of the programme overlapping it.

    One query, however many slots.
    """
    starts = programme_cadence_starts(programme=programme, after=after, before=before, count=count)
    if not starts:
        return []
    length = timedelta(minutes=programme.cadence_minutes)
    sessions = list(
        Session.objects.filter(
            programme=programme,
            state__in=[State.SCHEDULED, State.HELD],
            start__lt=starts[-1] + length,
            end__gt=starts[0],
        ).order_by("start", "id")
    )
    spans = [(s.start, s.end, s) for s in sessions if s.start is not None and s.end is not None]
    slots = []
    for start in starts:
        end = start + length
        occupying = next(
            (s for s_start, s_end, s in spans if s_start < end and s_end > start), None
        )
        slots.append(CadenceSlot(start, end, occupying))
    return slots


def programme_nudge_material(*, programme: Programme, limit: int = 5) -> dict[str, list]:
    """What an organiser needs to fill an open slot: prospective hosts of the programme who
    have not declined nor been scheduled yet, and the most wanted open topic requests
    (company-wide: requests belong to no programme). Two queries.
    """
    hosts = list(
        ProspectiveHost.objects.filter(
            programme=programme,
            status__in=[
                ProspectiveHost.Status.NEW,
                ProspectiveHost.Status.CONTACTED,
                ProspectiveHost.Status.AGREED,
            ],
            person__is_active=True,
        )
        .select_related("person")
        .order_by(
            # Who agreed to host first, then those already contacted, then the new ones.
            Case(
                When(status=ProspectiveHost.Status.AGREED, then=Value(0)),
                When(status=ProspectiveHost.Status.CONTACTED, then=Value(1)),
                default=Value(2),
            ),
            "-created_on",
            "id",
        )[:limit]
    )
    requests = list(
        TopicRequest.objects.filter(status=TopicRequest.Status.OPEN, session__isnull=True)
        .annotate(n_votes=Count("votes", distinct=True))
        .order_by("-n_votes", "-created_at", "-id")[:limit]
    )
    return {"prospective_hosts": hosts, "topic_requests": requests}


@dataclass
class CadenceNudgeResult:
    programmes: int = 0
    slots: int = 0
    mails: int = 0


def _claim(*, programme: Programme, slots: list[CadenceSlot]) -> list[CadenceSlot]:
    """The slots this call is the first to nudge (a unique row each; lost races are skipped)."""
    done = set(
        CadenceNudge.objects.filter(
            programme=programme, slot_start__in=[s.start for s in slots]
        ).values_list("slot_start", flat=True)
    )
    claimed = []
    for slot in slots:
        if slot.start in done:
            continue
        try:
            with transaction.atomic():
                CadenceNudge.objects.create(programme=programme, slot_start=slot.start)
        except IntegrityError:
            continue  # another worker nudged it meanwhile
        claimed.append(slot)
    return claimed


@keeps_language
def _mail(
    *, organiser: Person, programme: Programme, slots: list[CadenceSlot], material: dict
) -> None:
    tz = organiser.tzinfo
    speak_to(organiser)
    context = {
        "person": organiser,
        "programme": programme,
        # Formatted here: templates would convert aware times to the active timezone.
        "slots": [
            _("%(start)s to %(end)s")
            % {
                "start": when(s.start, tz),
                "end": date_format(s.end.astimezone(tz), "H:i"),
            }
            for s in slots
        ],
        "prospective_hosts": material["prospective_hosts"],
        "topic_requests": material["topic_requests"],
        "link": settings.SITE_URL + reverse("programmes:detail", args=[programme.slug]),
        "hosts_link": settings.SITE_URL
        + reverse("feedback:hosts")
        + f"?programme={programme.slug}",
        "site_url": settings.SITE_URL,
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    count = len(slots)
    subject = ngettext(
        "%(name)s: %(count)d open slot in the next four weeks",
        "%(name)s: %(count)d open slots in the next four weeks",
        count,
    ) % {"name": one_line(programme.name), "count": count}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reminders/email/cadence_nudge.txt", context),
        to=[organiser.email],
    )
    message.attach_alternative(
        render_to_string("reminders/email/cadence_nudge.html", context), "text/html"
    )
    mail_queue(message, kind="cadence_nudge")


def cadence_nudges_send(*, now: datetime | None = None) -> CadenceNudgeResult:
    """Mail each programme's active organisers about its cadence slots in the next four weeks
    that have no scheduled session and were not nudged before (one mail per organiser and
    programme, slots in their timezone). A programme without an active organiser is skipped
    without claiming its slots, so a later organiser still hears of them.
    """
    now = now or timezone.now()
    result = CadenceNudgeResult()
    programmes = (
        Programme.objects.exclude(cadence_rrule="")
        .filter(cadence_starts__isnull=False)
        .prefetch_related("organisers")
        .order_by("pk")
    )
    for programme in programmes:
        organisers = [o for o in programme.organisers.all() if o.is_active]
        if not organisers:
            continue
        slots = programme_cadence_slots(
            programme=programme, after=now, before=now + NUDGE_HORIZON, count=MAX_SLOTS
        )
        open_slots = [s for s in slots if s.is_open and s.start > now]
        off = programme_cadence_days_off(
            programme=programme, organisers=organisers, slots=open_slots
        )
        if off:
            tz = programme_cadence_tz(programme)
            open_slots = [s for s in open_slots if s.start.astimezone(tz).date() not in off]
        if not open_slots:
            continue
        try:
            with transaction.atomic():
                claimed = _claim(programme=programme, slots=open_slots)
                if not claimed:
                    continue
                material = programme_nudge_material(programme=programme)
                for organiser in organisers:
                    _mail(
                        organiser=organiser, programme=programme, slots=claimed, material=material
                    )
                result.programmes += 1
                result.slots += len(claimed)
                result.mails += len(organisers)
        except Exception:
            # Rolled back with its claims: the next tick tries this programme again.
            logger.exception("Cadence nudge for programme %s failed; retried later", programme.pk)
    return result


@task
def cadence_nudge_task() -> dict[str, int]:
    """The clock's cadence nudge (idempotent: each slot is nudged once)."""
    from dataclasses import asdict

    return asdict(cadence_nudges_send())

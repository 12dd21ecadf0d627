"""The hosts' summary after their session: attendance, feedback, questions, ideas, new hosts.

**When.** Owed from the moment the session is marked held (``Session.host_summary_due_at``,
written by ``sessions.services.session_mark_held``), sent once its feedback has *closed*: every
feedback request's form has closed, and in a programme with anonymous feedback the closing
release decision was taken and the held "I'd like to host" answers reached the prospective-host
list (``release``). Marking held is too early: the feedback, the most interesting part, is not
there yet, and in an anonymous programme a summary sent while responses trickle in would show
what one person answered. After the close every number in the mail is final and is exactly
what the results page shows (released responses only).

**Once.** The feedback tick claims the marker (``UPDATE … SET host_summary_due_at = NULL WHERE
… IS NOT NULL``) and queues the mails in the same transaction: a crash before the commit leaves
it owed, a second worker claims nothing.

**The chart.** Mail clients do not render SVG reliably (Gmail and Outlook drop it) and a PNG
would need an image library in production, so the mail carries the numbers as text — each
rating's count, share and a bar of block characters that any client shows in a monospace or
proportional font — and links to the results page, which has the SVG charts and the comments.
Free-text answers are not copied into the mail (a mailbox is forwarded and kept; the results
page applies the programme's rules each time it is read). Questions are shown without authors;
the "I'd like to host" names are those on the programme's prospective-host list, which an
anonymous programme fills only after its close (``release``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kshare.core.language import keeps_language, speak_to
from kshare.feedback.models import (
    FeedbackRelease,
    FeedbackRequest,
    HostAnswerHeld,
    ProspectiveHost,
    Response,
)
from kshare.feedback.models import Question as FeedbackQuestion
from kshare.feedback.results import SessionResults, percent, session_results
from kshare.ideas.models import Idea
from kshare.outbox.services import mail_queue, one_line
from kshare.questions.models import Question
from kshare.sessions.models import Attendance, Session, SessionHost, State
from kshare.sessions.selectors import invitation_counts

logger = logging.getLogger(__name__)

KIND = "host_summary"
BAR_WIDTH = 20  # block characters for the largest count
# At most this many sessions' summaries per tick; the next tick takes the rest.
TICK_BATCH = 100


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: int | None  # percent of the answers
    bar: str


@dataclass(frozen=True)
class QuestionSummary:
    text: str
    answers: int
    mean: str  # "4.20" or ""
    nps: int | None
    bars: list[Bar]


def bars(distribution: list[tuple[str, int]]) -> list[Bar]:
    """A text chart: one row per value, its count, share and a bar scaled to the largest."""
    total = sum(count for _label, count in distribution)
    largest = max((count for _label, count in distribution), default=0)
    rows = []
    for label, count in distribution:
        width = round(BAR_WIDTH * count / largest) if largest else 0
        if count and not width:
            width = 1  # a count is never shown as nothing
        rows.append(Bar(label=label, count=count, share=percent(count, total), bar="█" * width))
    return rows


def summaries_due(*, now: datetime | None = None) -> QuerySet[Session]:
    """Held sessions owed a summary whose feedback has closed (see the module docstring)."""
    now = now or timezone.now()
    open_request = FeedbackRequest.objects.filter(session=OuterRef("pk"), closes_at__gt=now)
    held_hosts = HostAnswerHeld.objects.filter(session=OuterRef("pk"))
    held = Response.objects.filter(session=OuterRef("pk"), released=False)
    decided = FeedbackRelease.objects.filter(session=OuterRef("pk"), final=True)
    return (
        Session.objects.filter(state=State.HELD, host_summary_due_at__lte=now, end__lte=now)
        .filter(~Exists(open_request), ~Exists(held_hosts))
        .filter(~Exists(held) | Exists(decided))
        .order_by("host_summary_due_at", "id")
    )


def summary_context(*, session: Session) -> dict:
    """Everything the summary shows, the same for each host (names of hosts aside)."""
    results: SessionResults = session_results(session=session)
    numbers = [
        QuestionSummary(
            text=q.text,
            answers=q.answers,
            mean=str(q.mean) if q.mean is not None else "",
            nps=q.nps,
            bars=bars(q.distribution),
        )
        for q in results.questions
        if q.distribution and q.purpose != FeedbackQuestion.Purpose.OVERALL
    ]
    # Free-text answers to the form's own questions ("topics wanted next" is not a comment).
    comments = sum(len(q.texts) for q in results.questions if not q.purpose)
    counts = invitation_counts(session=session)
    questions = list(
        Question.objects.filter(session=session).order_by("-vote_count", "created_at", "id")
    )
    ideas = list(
        Idea.objects.filter(session=session)
        .annotate(votes_n=Count("votes"))
        .order_by("-votes_n", "created_at", "id")
    )
    hosts_next = list(
        ProspectiveHost.objects.filter(source_session=session)
        .select_related("person")
        .order_by("person__display_name", "id")
    )
    site = settings.SITE_URL
    return {
        "session": session,
        "programme": session.programme,
        "attended": Attendance.objects.filter(session=session).count(),
        "invited": counts["total"],
        "going": counts["going"],
        "results": results,
        "overall_bars": bars(results.overall_distribution) if results.overall_answers else [],
        "numbers": numbers,
        "comments": comments,
        "questions": questions,
        "questions_answered": sum(1 for q in questions if q.answered_at is not None),
        "ideas": [(idea, site + idea.get_absolute_url()) for idea in ideas],
        "hosts_next": hosts_next,
        "session_link": site + session.get_absolute_url(),
        "results_link": site + reverse("feedback:session_results", args=[session.pk]),
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }


@keeps_language
def _mail(*, person, context: dict) -> bool:
    """Queue one host's summary; False when they turned host summaries off."""
    context = {**context, "person": person}
    speak_to(person)
    session = context["session"]
    message = EmailMultiAlternatives(
        subject=_("How “%(title)s” went: attendance, feedback, questions and ideas")
        % {"title": one_line(session.title)},
        body=render_to_string("feedback/email/host_summary.txt", context),
        to=[person.email],
    )
    message.attach_alternative(
        render_to_string("feedback/email/host_summary.html", context), "text/html"
    )
    return mail_queue(message, kind=KIND) is not None


@keeps_language
def host_summary_send(*, session_id: int, now: datetime | None = None) -> int:
    """Claim the summary ``session_id`` is owed and queue it to each active host; returns the
    mails queued (0 when someone else claimed it, or it is not owed)."""
    with transaction.atomic():
        claimed = Session.objects.filter(pk=session_id, host_summary_due_at__isnull=False).update(
            host_summary_due_at=None
        )
        if claimed != 1:
            return 0
        session = Session.objects.select_related("programme").get(pk=session_id)
        sent = 0
        for link in (
            SessionHost.objects.filter(session=session, person__is_active=True)
            .select_related("person")
            .order_by("-role", "id")
        ):
            # Each host reads the summary (its chart labels too) in their own language.
            speak_to(link.person)
            context = summary_context(session=session)
            try:
                with transaction.atomic():
                    queued = _mail(person=link.person, context=context)
            except ValueError:
                # The outbox refuses what it cannot send (a header with a line break): one bad
                # address must not hold back the other hosts' summary.
                logger.exception("Host summary of %s: no mail for %s", session_id, link.person_id)
                continue
            sent += queued
        return sent


def host_summaries_send(*, now: datetime | None = None) -> int:
    """The periodic part (the feedback tick): send every summary now due; returns the mails."""
    now = now or timezone.now()
    sent = 0
    for session_id in list(summaries_due(now=now).values_list("pk", flat=True)[:TICK_BATCH]):
        try:
            sent += host_summary_send(session_id=session_id, now=now)
        except DatabaseError:
            raise
        except Exception:  # rolled back, so still owed: the next tick tries again
            logger.exception("The host summary of session %s failed; retried later", session_id)
    return sent

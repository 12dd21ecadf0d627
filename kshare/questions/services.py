"""Every write to live questions: views and tests call these.

Rules:
- Questions are asked and voted on while the session runs: from CHECKIN_OPENS_BEFORE before its
  start to its end (the check-in window), for a scheduled (or already held) session. Who may see
  the session is the caller's check (an invisible session is a 404 in the views).
- One vote per person and question (a unique constraint, so double clicks and two tabs racing
  store one vote); nobody votes for their own question. ``vote_count`` moves with F() in the
  transaction that inserts or deletes the vote row, so concurrent votes count exactly.
- Hosts, the programme's organisers and admins (``session_can_edit``) mark questions answered
  (and back), and turn a question into an idea on the session's board or a topic request, once.
"""

from __future__ import annotations

import enum
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kshare.attendance.checkin import CHECKIN_OPENS_BEFORE, OPEN, checkin_state
from kshare.ideas.models import TITLE_MAX_LENGTH as IDEA_TITLE_MAX_LENGTH
from kshare.ideas.models import Idea
from kshare.ideas.services import idea_create
from kshare.people.models import Person
from kshare.questions.models import TEXT_MAX_LENGTH, Question, QuestionVote
from kshare.sessions.models import Session, State
from kshare.sessions.selectors import session_can_edit
from kshare.topics.models import TITLE_MAX_LENGTH as TOPIC_TITLE_MAX_LENGTH
from kshare.topics.models import TopicRequest
from kshare.topics.services import topic_request_create

MANAGE_REFUSED = gettext_lazy(
    "Only the session's hosts, its programme's organisers and admins can do this."
)


class Vote(enum.StrEnum):
    """What a vote request did."""

    ADDED = "added"
    ALREADY = "already"  # voting twice: counted once
    REMOVED = "removed"
    NOT_VOTED = "not_voted"  # withdrawing a vote that was not there


def questions_open(*, session: Session, now: datetime | None = None) -> bool:
    """Whether ``session`` takes questions and votes now: the check-in window."""
    return checkin_state(session, now=now) == OPEN


def _require_open(session: Session) -> None:
    if questions_open(session=session):
        return
    if session.state == State.CANCELLED:
        raise ValidationError(_("This session was cancelled: it takes no questions."))
    minutes = int(CHECKIN_OPENS_BEFORE.total_seconds() // 60)
    raise ValidationError(
        _(
            "Questions are open from %(minutes)s minutes before the session starts until it "
            "ends; this session is not running now."
        )
        % {"minutes": minutes}
    )


def _clean_text(text: str) -> str:
    if "\x00" in text:
        raise ValidationError(_("The question contains a NUL character; remove it."))
    text = text.strip()
    if not text:
        raise ValidationError(_("Write your question first."))
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError(
            _("Keep the question under %(limit)s characters (it has %(length)s).")
            % {"limit": f"{TEXT_MAX_LENGTH:,}", "length": f"{len(text):,}"}
        )
    return text


def question_ask(
    *, session: Session, author: Person, text: str, anonymous: bool = False
) -> Question:
    """Post a question to a running session; ``anonymous`` hides the author from everyone but
    admins. Raises ValidationError (nothing stored) for bad text or outside the window."""
    text = _clean_text(text)
    _require_open(session)
    return Question.objects.create(session=session, author=author, text=text, anonymous=anonymous)


def question_vote_set(*, question: Question, person: Person, on: bool) -> Vote:
    """Make ``person``'s vote for ``question`` exist (``on``) or not, and say what happened.

    Voting twice (or two requests at once) stores one vote and counts it once. Raises
    ValidationError for one's own question and outside the session's window.
    """
    if question.author_id == person.pk:
        raise ValidationError(_("You cannot vote for your own question."))
    _require_open(question.session)
    if on:
        try:
            with transaction.atomic():
                QuestionVote.objects.create(question=question, person=person)
                Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") + 1)
        except IntegrityError:
            # The vote is already there (a second click, or a concurrent request that won).
            return Vote.ALREADY
        return Vote.ADDED
    with transaction.atomic():
        deleted, _rows = QuestionVote.objects.filter(question=question, person=person).delete()
        if not deleted:
            return Vote.NOT_VOTED
        Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") - 1)
    return Vote.REMOVED


def question_answered_set(*, question: Question, by: Person, answered: bool) -> Question:
    """Mark ``question`` answered (recording who and when) or not answered again."""
    if not session_can_edit(person=by, session=question.session):
        raise PermissionDenied(MANAGE_REFUSED)
    if answered and question.answered_at is None:
        question.answered_at, question.answered_by = timezone.now(), by
    elif not answered:
        question.answered_at, question.answered_by = None, None
    question.save(update_fields=["answered_at", "answered_by"])
    return question


def _title(text: str, limit: int) -> str:
    title = " ".join(text.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _origin(question: Question) -> str:
    session = question.session
    values = {
        "name": question.author.display_name,
        "title": session.title,
        "link": reverse("sessions:detail", args=[session.pk]),
    }
    if question.anonymous:
        asked = _("A question asked during “%(title)s” (%(link)s).") % values
    else:
        asked = _("A question asked by %(name)s during “%(title)s” (%(link)s).") % values
    return f"> {question.text}\n\n{asked}"


@transaction.atomic
def question_convert(*, question: Question, by: Person, into: str) -> Idea | TopicRequest:
    """Turn ``question`` into an idea on its session's board (``into="idea"``) or a topic
    request (``"topic"``), created by ``by`` and linked from the question. Once only: a second
    conversion, even a concurrent one, raises ValidationError.

    The asker of an anonymous question stays anonymous in what it becomes.
    """
    if not session_can_edit(person=by, session=question.session):
        raise PermissionDenied(MANAGE_REFUSED)
    if into not in ("idea", "topic"):
        raise ValidationError(_("Choose an idea or a topic request."))
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if locked.converted_idea_id is not None:
        raise ValidationError(_("This question has already become an idea."))
    if locked.converted_topic_id is not None:
        raise ValidationError(_("This question has already become a topic request."))
    locked.session, locked.author = question.session, question.author
    result: Idea | TopicRequest
    if into == "idea":
        result = idea_create(
            author=by,
            title=_title(locked.text, IDEA_TITLE_MAX_LENGTH),
            description=_origin(locked),
            session=question.session,
        )
        locked.converted_idea = result
        question.converted_idea = result
    else:
        result = topic_request_create(
            requester=by,
            title=_title(locked.text, TOPIC_TITLE_MAX_LENGTH),
            description=_origin(locked),
        )
        locked.converted_topic = result
        question.converted_topic = result
    locked.save(update_fields=["converted_idea", "converted_topic"])
    return result

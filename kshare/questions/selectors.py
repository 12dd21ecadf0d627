"""Reads for live questions. Visibility of the session is checked by the caller (a session the
reader may not see is a 404 before any question is read)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from kshare.people.models import Person
from kshare.questions.models import Question, QuestionVote
from kshare.sessions.models import Session
from kshare.sessions.selectors import sessions_visible_to


def session_for_questions(*, person: Person, pk: int) -> Session | None:
    """The session ``pk`` if ``person`` may see it (else None: the caller answers 404)."""
    return sessions_visible_to(person=person).select_related("programme").filter(pk=pk).first()


def questions_of_session(*, session: Session, person: Person) -> QuerySet[Question]:
    """The session's questions, most votes first then oldest, each with ``voted`` (whether
    ``person`` upvoted it) and ``mine``; the author is loaded for the named ones' display."""
    return (
        Question.objects.filter(session=session)
        .select_related("author", "converted_idea", "converted_topic")
        .annotate(voted=Exists(QuestionVote.objects.filter(question=OuterRef("pk"), person=person)))
        .order_by("-vote_count", "created_at", "id")
    )


@dataclass(frozen=True)
class QuestionLists:
    open: list[Question]
    answered: list[Question]


def question_lists(*, session: Session, person: Person) -> QuestionLists:
    """Open and answered questions of ``session`` in one query, each sorted by votes then age."""
    rows = list(questions_of_session(session=session, person=person))
    for row in rows:
        row.mine = row.author_id == person.pk  # type: ignore[attr-defined]
    return QuestionLists(
        open=[q for q in rows if q.answered_at is None],
        answered=[q for q in rows if q.answered_at is not None],
    )


def question_of_session(*, session: Session, pk: int) -> Question | None:
    """Question ``pk`` if it belongs to ``session`` (a forged id of another session is None)."""
    question = Question.objects.select_related("author").filter(session=session, pk=pk).first()
    if question is not None:
        question.session = session
    return question

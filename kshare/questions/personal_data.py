"""Live questions' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from kshare.people.models import Person
from kshare.questions.models import Question, QuestionVote

HANDLES = {
    "questions.Question.author": "kept, asked by the former member",
    "questions.Question.answered_by": "moved to the former member",
    "questions.QuestionVote.person": "deleted (the question's count goes down)",
}


def export(person: Person) -> dict[str, Any]:
    return {
        "questions_asked": list(
            Question.objects.filter(author=person)
            .order_by("created_at", "pk")
            .values("session_id", "session__title", "text", "anonymous", "created_at")
        ),
        "question_votes": list(
            QuestionVote.objects.filter(person=person)
            .order_by("pk")
            .values("question__session_id", "question__text")
        ),
    }


def erase(person: Person, placeholder: Person) -> None:
    Question.objects.filter(author=person).update(author=placeholder)
    Question.objects.filter(answered_by=person).update(answered_by=placeholder)
    voted = list(QuestionVote.objects.filter(person=person).values_list("question_id", flat=True))
    QuestionVote.objects.filter(person=person).delete()
    Question.objects.filter(pk__in=voted, vote_count__gt=0).update(vote_count=F("vote_count") - 1)

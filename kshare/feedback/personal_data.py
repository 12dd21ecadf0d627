"""Feedback's part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``).

Anonymous responses store no person, so they are neither exported nor deleted: nothing links
them to anyone, and exporting them would be that very link. Erasing an account replaces the
keyed hashes of the person's anonymous responses with random ones, so that not even someone
holding the secret key can find them afterwards; the hash only kept one response per person.
"""

from __future__ import annotations

import secrets
from typing import Any

from kshare.feedback.models import (
    Answer,
    FeedbackForm,
    FeedbackRequest,
    HostAnswerHeld,
    ProspectiveHost,
    Response,
)
from kshare.feedback.services import respondent_hash
from kshare.people.models import Person

HANDLES = {
    "feedback.FeedbackForm.created_by": "moved to the former member",
    "feedback.FeedbackRequest.person": "deleted",
    "feedback.Response.person": "named responses are kept as the former member's; anonymous "
    "ones have no person and their keyed hash becomes random",
    "feedback.ProspectiveHost.person": "deleted",
    "feedback.HostAnswerHeld.person": "deleted (never exported to anyone else)",
}


def _value(answer: Answer) -> Any:
    if answer.selected:
        return answer.selected
    if answer.number is not None:
        return answer.number
    return answer.text


def export(person: Person) -> dict[str, Any]:
    responses = (
        Response.objects.filter(person=person)
        .select_related("session")
        .prefetch_related("answers__question")
        .order_by("pk")
    )
    return {
        "feedback_requests": list(
            FeedbackRequest.objects.filter(person=person)
            .order_by("sent_at", "pk")
            .values("session_id", "session__title", "sent_at", "closes_at")
        ),
        "feedback_responses_named": [
            {
                "session": response.session_id,
                "session_title": response.session.title,
                "submitted_on": response.submitted_on,
                "answers": [
                    {"question": answer.question.text, "value": _value(answer)}
                    for answer in response.answers.all()
                ],
            }
            for response in responses
        ],
        "prospective_host": list(
            ProspectiveHost.objects.filter(person=person)
            .order_by("pk")
            .values("programme__name", "answer", "topics", "status", "created_on")
        ),
        "hosting_answers_not_yet_passed_on": list(
            HostAnswerHeld.objects.filter(person=person)
            .order_by("pk")
            .values("session__title", "answer", "topics")
        ),
        "feedback_forms_created": list(
            FeedbackForm.objects.filter(created_by=person)
            .order_by("pk")
            .values("programme__name", "version", "created_at")
        ),
    }


def _random_hash() -> str:
    return secrets.token_hex(32)


def erase(person: Person, placeholder: Person) -> None:
    # Before the requests go: they say which sessions the person may have answered.
    sessions = set(
        FeedbackRequest.objects.filter(person=person).values_list("session_id", flat=True)
    )
    sessions |= set(Response.objects.filter(person=person).values_list("session_id", flat=True))
    for session_id in sorted(sessions):
        Response.objects.filter(
            session_id=session_id,
            respondent_hash=respondent_hash(session_id=session_id, person_id=person.pk),
        ).update(respondent_hash=_random_hash())
    for pk in Response.objects.filter(person=person).values_list("pk", flat=True):
        Response.objects.filter(pk=pk).update(person=placeholder, respondent_hash=_random_hash())
    FeedbackRequest.objects.filter(person=person).delete()
    ProspectiveHost.objects.filter(person=person).delete()
    HostAnswerHeld.objects.filter(person=person).delete()
    FeedbackForm.objects.filter(created_by=person).update(created_by=placeholder)

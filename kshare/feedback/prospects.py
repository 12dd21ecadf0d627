"""The prospective-host list's entries: recording that someone would like to host.

Called when a named response says yes or maybe (``services.response_submit``) and, for
programmes with anonymous feedback, only once the forms have closed (``release``). The
pipeline that follows (status, a draft session) is ``hosts``.
"""

from __future__ import annotations

from django.utils import timezone

from kshare.feedback.models import ProspectiveHost
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import Session


def prospective_host_record(
    *,
    programme: Programme,
    person: Person,
    answer: str,
    topics: str,
    source_session: Session,
    topic: str = "",
) -> ProspectiveHost:
    """Create or update the organiser's entry for someone who would host ("yes"/"maybe").

    ``topic`` is what they would talk about (the form's host-topic answer), ``topics`` what they
    would like to hear about next (context only). One row per person and programme: a later
    answer updates answer, its date, topic and topics (when new ones were named) and source
    session; the status the organiser set is kept. No response is referenced, so anonymous
    answers stay unlinkable.
    """
    today = timezone.localdate()
    prospect, created = ProspectiveHost.objects.select_for_update().get_or_create(
        programme=programme,
        person=person,
        defaults={
            "answer": answer,
            "topic": topic[:2000],
            "topics": topics[:2000],
            "source_session": source_session,
            "answered_on": today,
        },
    )
    if not created:
        prospect.answer = answer
        prospect.source_session = source_session
        prospect.answered_on = today
        if topics:
            prospect.topics = topics[:2000]
        if topic:
            prospect.topic = topic[:2000]
        prospect.save(
            update_fields=[
                "answer",
                "topic",
                "topics",
                "source_session",
                "answered_on",
                "updated_at",
            ]
        )
    return prospect

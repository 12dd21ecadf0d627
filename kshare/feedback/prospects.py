"""The prospective-host list's entries: recording that someone would like to host.

Called when a named response says yes or maybe (``services.response_submit``) and, for
programmes with anonymous feedback, only once the forms have closed (``release``). The
pipeline that follows (status, a draft session) is ``hosts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from kshare.feedback.models import ProspectiveHost
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.sessions.models import Session

BULK_BATCH = 500  # ids per IN (…) and rows per INSERT


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
        prospect_answer_again(
            prospect,
            answer=answer,
            topics=topics,
            topic=topic,
            source_session_id=source_session.pk,
            answered_on=today,
        )
        prospect.save(update_fields=PROSPECT_ANSWER_FIELDS)
    return prospect


PROSPECT_ANSWER_FIELDS = [
    "answer",
    "topic",
    "topics",
    "source_session",
    "answered_on",
    "updated_at",
]


def prospect_answer_again(
    prospect: ProspectiveHost,
    *,
    answer: str,
    topics: str,
    topic: str,
    source_session_id: int,
    answered_on: date,
) -> None:
    """A later answer on an existing entry (unsaved): answer, date and source session follow it,
    topic and topics only when new ones were named; the organiser's status is kept."""
    prospect.answer = answer
    prospect.source_session_id = source_session_id
    prospect.answered_on = answered_on
    if topics:
        prospect.topics = topics[:2000]
    if topic:
        prospect.topic = topic[:2000]


@dataclass(frozen=True)
class HostInterest:
    """A yes or maybe to hosting, as a response gave it on ``answered_on``."""

    programme_id: int
    person_id: int
    answer: str
    topics: str
    topic: str
    source_session_id: int
    answered_on: date


def prospective_hosts_record_bulk(*, answers: Sequence[HostInterest]) -> list[ProspectiveHost]:
    """``prospective_host_record`` for many answers, in the order given (the order answered).

    One entry per person and programme: the first answer creates it (created and answered on
    its day), each later one updates it as ``prospect_answer_again`` says, also for entries that
    already existed. A fixed number of queries per call. Returns the entries created or changed.
    """
    if not answers:
        return []
    keys = {(a.programme_id, a.person_id) for a in answers}
    programmes = sorted({k[0] for k in keys})
    people = sorted({k[1] for k in keys})
    existing: dict[tuple[int, int], ProspectiveHost] = {}
    for start in range(0, len(people), BULK_BATCH):
        for p in ProspectiveHost.objects.select_for_update().filter(
            programme_id__in=programmes, person_id__in=people[start : start + BULK_BATCH]
        ):
            if (p.programme_id, p.person_id) in keys:
                existing[(p.programme_id, p.person_id)] = p
    new: dict[tuple[int, int], ProspectiveHost] = {}
    for a in answers:
        key = (a.programme_id, a.person_id)
        prospect = existing.get(key) or new.get(key)
        if prospect is None:
            new[key] = ProspectiveHost(
                programme_id=a.programme_id,
                person_id=a.person_id,
                answer=a.answer,
                topic=a.topic[:2000],
                topics=a.topics[:2000],
                source_session_id=a.source_session_id,
                created_on=a.answered_on,
                answered_on=a.answered_on,
            )
            continue
        prospect_answer_again(
            prospect,
            answer=a.answer,
            topics=a.topics,
            topic=a.topic,
            source_session_id=a.source_session_id,
            answered_on=a.answered_on,
        )
    changed = list(existing.values())
    ProspectiveHost.objects.bulk_create(new.values(), batch_size=BULK_BATCH)
    if changed:
        now = timezone.now()  # bulk_update does not touch ``auto_now`` itself
        for prospect in changed:
            prospect.updated_at = now
        ProspectiveHost.objects.bulk_update(changed, PROSPECT_ANSWER_FIELDS, batch_size=BULK_BATCH)
    return [*changed, *new.values()]

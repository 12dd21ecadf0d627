"""Feedback written in bulk: many requests and responses with the rules of the one-row paths.

For writers of many rows at once (the demo organisation, ``kshare/demo``). Each function applies
the rules of its one-row counterpart by calling the same helpers — ``feedback_dispatch``'s
recipients and current form for requests; ``response_submit``'s answer validation, respondent
hash, anonymity and hold-back for responses; ``prospective_host_record``'s entry rules for the
host pipeline — with a fixed number of queries per batch where the rules allow it.

Nothing is announced but the saved rows (``kshare.core.signals.rows_saved`` on commit): no mail
is owed (``mail_pending`` stays false), no ``feedback_received`` and no ``feedback_released``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kshare.core.signals import rows_saved_announce
from kshare.feedback.dispatch import feedback_recipients
from kshare.feedback.models import Answer, FeedbackForm, FeedbackRequest, Question, Response
from kshare.feedback.prospects import HostInterest, prospective_hosts_record_bulk
from kshare.feedback.release import feedback_release_if_batch
from kshare.feedback.services import (
    ALREADY_ANSWERED,
    answers_kept,
    answers_validate,
    host_answer_hold,
    host_interest_of,
    response_row,
)
from kshare.sessions.models import Session, State

BULK_BATCH = 2_000


@dataclass
class ResponseEntry:
    """One response to record: ``data`` maps question ids of the request's form to cleaned
    values (as ``response_submit`` takes them), ``submitted_at`` is when it was answered."""

    request: FeedbackRequest
    data: dict
    submitted_at: datetime


@transaction.atomic
def feedback_requests_create_bulk(*, requests: Sequence[FeedbackRequest]) -> list[FeedbackRequest]:
    """Create many feedback requests as ``feedback_dispatch`` would have sent them.

    Per row: the session had ended when the form was sent (held, or scheduled with its end
    passed), the person is one of ``feedback_recipients`` (an attendee, or a seated "yes" where
    no attendance was recorded; never a host or a deactivated account), the form is the
    programme's current one, it closes after it was sent (and a reminder falls in between), and
    it is not answered (a response marks that, ``feedback_responses_record_bulk``). One request
    per person and session: a repeat, in the call or in the database, is left alone as the
    dispatch leaves it. No mail is owed. Returns the created requests.
    """
    session_ids = sorted({r.session_id for r in requests})
    sessions: dict[int, Session] = {}
    for start in range(0, len(session_ids), BULK_BATCH):
        part = session_ids[start : start + BULK_BATCH]
        sessions.update((s.pk, s) for s in Session.objects.filter(pk__in=part))
    current = dict(
        FeedbackForm.objects.filter(
            programme_id__in={s.programme_id for s in sessions.values()}, is_current=True
        ).values_list("programme_id", "pk")
    )
    recipients: dict[int, set[int]] = {}
    seen: set[tuple[int, int]] = set()
    for session_id in session_ids:  # the dispatch's own rule, one query per session
        recipients[session_id] = set(
            feedback_recipients(session=sessions[session_id]).values_list("pk", flat=True)
        )
    for start in range(0, len(session_ids), BULK_BATCH):
        seen.update(
            FeedbackRequest.objects.filter(
                session_id__in=session_ids[start : start + BULK_BATCH]
            ).values_list("session_id", "person_id")
        )
    new: list[FeedbackRequest] = []
    for request in requests:
        key = (request.session_id, request.person_id)
        if key in seen:
            continue
        seen.add(key)
        session = sessions[request.session_id]
        ended = session.state == State.HELD or (
            session.state == State.SCHEDULED
            and session.end is not None
            and session.end <= request.sent_at
        )
        if not ended:
            raise ValidationError("Feedback is asked for once the session has ended.")
        if request.person_id not in recipients[session.pk]:
            raise ValidationError("Only those who attended (and did not host) get the form.")
        if request.form_id != current.get(session.programme_id):
            raise ValidationError("A request carries the programme's current form.")
        if request.closes_at <= request.sent_at or (
            request.reminded_at is not None
            and not request.sent_at < request.reminded_at < request.closes_at
        ):
            raise ValidationError("A form closes after it was sent, and is reminded of in between.")
        if request.answered:
            raise ValidationError("A request is answered by its response, not created answered.")
        request.mail_pending = False
        new.append(request)
    FeedbackRequest.objects.bulk_create(new, batch_size=BULK_BATCH)
    rows_saved_announce(model=FeedbackRequest, ids=[r.pk for r in new if r.pk is not None])
    return new


@transaction.atomic
def feedback_responses_record_bulk(*, responses: Sequence[ResponseEntry]) -> list[Response]:
    """Record many responses with the rules of ``response_submit``, answered at ``submitted_at``.

    Per response: its request is unanswered (in the database and in the call: one response per
    request, and per person and session by the same ``respondent_hash``), was sent before and
    closes after ``submitted_at``; the answers fit the request's form version
    (``answers_validate``). Each response marks its request answered. Named programmes: the
    response carries the person and its day; a yes or maybe to hosting creates or updates the
    prospective-host entry in the order answered (``prospective_hosts_record_bulk``).
    Anonymous programmes: no person, the day sent, the private answers kept out
    (``answers_kept``), the host answer held (``host_answer_hold``) and the responses held
    until a batch can be released, one by one in the order answered as ``response_submit``
    does (``feedback_release_if_batch`` at the moment answered, without ``feedback_released``).

    Returns the responses in the order given.
    """
    if not responses:
        return []
    pks = [e.request.pk for e in responses]
    locked: dict[int, FeedbackRequest] = {}
    for start in range(0, len(pks), BULK_BATCH):
        locked.update(
            (r.pk, r)
            for r in FeedbackRequest.objects.select_for_update()
            .filter(pk__in=pks[start : start + BULK_BATCH])
            .select_related("session__programme")
        )
    form_ids = {r.form_id for r in locked.values()}
    questions: dict[int, dict[int, Question]] = defaultdict(dict)
    for q in Question.objects.filter(form_id__in=form_ids):
        questions[q.form_id][q.pk] = q
    session_ids = sorted({r.session_id for r in locked.values()})
    hashes: set[str] = set()
    for start in range(0, len(session_ids), BULK_BATCH):
        hashes.update(
            Response.objects.filter(
                session_id__in=session_ids[start : start + BULK_BATCH]
            ).values_list("respondent_hash", flat=True)
        )

    rows: list[tuple[ResponseEntry, Response, list[Answer], tuple[str, str, str]]] = []
    for entry in responses:
        request = locked[entry.request.pk]
        if request.answered:
            raise ValidationError(ALREADY_ANSWERED, code="answered")
        if not request.sent_at <= entry.submitted_at < request.closes_at:
            raise ValidationError("A response is given while its form is open.", code="closed")
        anonymous = request.session.programme.feedback_anonymous
        answers = answers_validate(questions=questions[request.form_id], data=entry.data)
        host = host_interest_of(answers=answers, data=entry.data)
        answers = answers_kept(answers=answers, anonymous=anonymous, host_answer=host[0])
        response = response_row(
            request=request,
            anonymous=anonymous,
            submitted_on=timezone.localdate(entry.submitted_at),
        )
        if response.respondent_hash in hashes:
            raise ValidationError(ALREADY_ANSWERED, code="answered")
        hashes.add(response.respondent_hash)
        request.answered = True
        rows.append((entry, response, answers, host))

    named = [row for row in rows if row[1].released]
    Response.objects.bulk_create([r for _, r, _, _ in named], batch_size=BULK_BATCH)
    # Anonymous ones one by one in the order answered: each may complete a batch.
    for entry, response, answers, (host_answer, topics, topic) in sorted(
        (row for row in rows if not row[1].released), key=lambda row: row[0].submitted_at
    ):
        response.save(force_insert=True)
        Answer.objects.bulk_create(_of(response, answers))
        request = locked[entry.request.pk]
        if host_answer:
            host_answer_hold(
                session_id=request.session_id,
                person_id=request.person_id,
                answer=host_answer,
                topics=topics,
                topic=topic,
            )
        feedback_release_if_batch(
            session_id=request.session_id, now=entry.submitted_at, announce=False
        )
    Answer.objects.bulk_create(
        [a for _, r, answers, _ in named for a in _of(r, answers)], batch_size=BULK_BATCH
    )
    for start in range(0, len(pks), BULK_BATCH):
        FeedbackRequest.objects.filter(pk__in=pks[start : start + BULK_BATCH]).update(answered=True)
    for entry in responses:
        entry.request.answered = True
    prospective_hosts_record_bulk(
        answers=[
            HostInterest(
                programme_id=locked[entry.request.pk].session.programme_id,
                person_id=locked[entry.request.pk].person_id,
                answer=host_answer,
                topics=topics,
                topic=topic,
                source_session_id=response.session_id,
                answered_on=response.submitted_on,
            )
            for entry, response, _, (host_answer, topics, topic) in sorted(
                named, key=lambda row: row[0].submitted_at
            )
            if host_answer
        ]
    )
    rows_saved_announce(model=Response, ids=[r.pk for _, r, _, _ in rows if r.pk is not None])
    return [r for _, r, _, _ in rows]


def _of(response: Response, answers: list[Answer]) -> list[Answer]:
    for answer in answers:
        answer.response = response
    return answers

"""Writes for feedback: forms and their versions, requests, responses, the host pipeline."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kshare.feedback import signals
from kshare.feedback.models import (
    Answer,
    FeedbackForm,
    FeedbackRequest,
    HostAnswerHeld,
    Question,
    Response,
)
from kshare.feedback.prospects import prospective_host_record
from kshare.feedback.release import feedback_release_if_batch
from kshare.people.models import Person
from kshare.programmes.models import Programme

# (kind, text, required, choices, purpose)
DEFAULT_QUESTIONS: list[tuple[str, str, bool, list[str], str]] = [
    (Question.Kind.RATING, "Overall, how useful was the session?", True, [], "overall"),
    (Question.Kind.LONG_TEXT, "What was the most useful part?", False, [], ""),
    (Question.Kind.LONG_TEXT, "What could be improved?", False, [], ""),
    (Question.Kind.SHORT_TEXT, "Which topics would you like next?", False, [], "topics_wanted"),
    (
        Question.Kind.SINGLE,
        "Would you like to host a session yourself?",
        False,
        ["Yes", "Maybe", "No"],
        "host_interest",
    ),
    (
        Question.Kind.SHORT_TEXT,
        "If yes or maybe: what would you talk about?",
        False,
        [],
        "host_topic",
    ),
]


def respondent_hash(*, session_id: int, person_id: int) -> str:
    """A keyed hash of (session, person): enforces one response each without storing who.

    HMAC-SHA256 with the installation's secret key, so it cannot be recomputed from the ids
    alone by someone who reads the database or an export.
    """
    message = f"kshare.feedback:{session_id}:{person_id}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def feedback_form_create_default(*, programme: Programme, by: Person | None = None) -> FeedbackForm:
    """The sensible default form every programme starts with (version 1, current)."""
    form = FeedbackForm.objects.create(programme=programme, version=1, created_by=by)
    Question.objects.bulk_create(
        Question(
            form=form,
            position=i,
            kind=kind,
            text=text,
            required=required,
            choices=choices,
            purpose=purpose,
        )
        for i, (kind, text, required, choices, purpose) in enumerate(DEFAULT_QUESTIONS, 1)
    )
    return form


def feedback_form_current(*, programme: Programme) -> FeedbackForm:
    """The programme's current form, creating the default one when it has none."""
    form = FeedbackForm.objects.filter(programme=programme, is_current=True).first()
    return form or feedback_form_create_default(programme=programme)


ALREADY_ANSWERED = gettext_lazy("You have already answered — thank you.")
HOST_ANSWERS = {"yes": "yes", "maybe": "maybe"}


def feedback_closed_message(*, request: FeedbackRequest, person: Person) -> str:
    closes = request.closes_at.astimezone(person.tzinfo)
    return _("This form closed on %(date)s.") % {"date": dateformat.format(closes, "l j F Y")}


def _answer(question: Question, value: object) -> Answer:
    """An unsaved ``Answer`` for a cleaned value; refuses values the question cannot take."""
    answer = Answer(question=question)
    kind = question.kind
    bad = ValidationError(
        _("“%(question)s” cannot take the answer %(value)s.")
        % {"question": question.text, "value": repr(str(value)[:40])}
    )
    if kind in (Question.Kind.RATING, Question.Kind.NPS):
        low, high = (1, 5) if kind == Question.Kind.RATING else (0, 10)
        try:
            number = int(str(value))
        except ValueError:
            raise bad from None
        if not low <= number <= high:
            raise bad
        answer.number = number
    elif kind == Question.Kind.YES_NO:
        if value not in ("yes", "no"):
            raise bad
        answer.number = 1 if value == "yes" else 0
    elif kind == Question.Kind.SINGLE:
        if value not in question.choices:
            raise bad
        answer.selected = [value]
    elif kind == Question.Kind.MULTIPLE:
        values = list(value) if isinstance(value, list | tuple) else [value]
        if not values or any(v not in question.choices for v in values):
            raise bad
        # The form's order, not the order the browser sent them in.
        answer.selected = [c for c in question.choices if c in values]
    else:
        text = str(value)
        if len(text) > 5000 or "\x00" in text:
            raise bad
        answer.text = text
    return answer


def _host_answer(question: Question, value: object) -> str:
    """Either "yes", "maybe" or "" for the host-interest question's cleaned value."""
    if question.kind == Question.Kind.YES_NO:
        return "yes" if value == "yes" else ""
    if question.kind == Question.Kind.SINGLE:
        return HOST_ANSWERS.get(str(value).strip().lower(), "")
    return ""


def answers_validate(*, questions: dict[int, Question], data: dict) -> list[Answer]:
    """Unsaved answers for ``data`` (question id → cleaned value) on a form with ``questions``.

    Refuses answers to questions not on the form, a required question left empty and values a
    question cannot take (``_answer``). Shared by ``response_submit`` and the bulk path.
    """
    unknown = set(data) - set(questions)
    if unknown:
        raise ValidationError(_("Some answers belong to questions that are not on this form."))
    missing = [
        q.text for q in questions.values() if q.required and data.get(q.pk) in (None, "", [])
    ]
    if missing:
        raise ValidationError(_("“%(question)s” needs an answer.") % {"question": missing[0]})
    return [_answer(questions[pk], value) for pk, value in data.items()]


def host_interest_of(*, answers: list[Answer], data: dict) -> tuple[str, str, str]:
    """(host answer "yes"/"maybe"/"", topics wanted, host topic) from a response's answers."""
    host_answer, topics, topic = "", "", ""
    for answer in answers:
        if answer.question.purpose == Question.Purpose.HOST_INTEREST:
            host_answer = _host_answer(answer.question, data[answer.question.pk])
        elif answer.question.purpose == Question.Purpose.TOPICS_WANTED:
            topics = answer.text
        elif answer.question.purpose == Question.Purpose.HOST_TOPIC:
            topic = answer.text
    return host_answer, topics, topic


def answers_kept(*, answers: list[Answer], anonymous: bool, host_answer: str) -> list[Answer]:
    """The answers a response stores: in an anonymous programme the host answer and the topic
    they would host are never part of it; the topics wanted only when they travel with a name
    to the list."""
    if not anonymous:
        return answers
    private = {Question.Purpose.HOST_INTEREST, Question.Purpose.HOST_TOPIC}
    if host_answer:
        private.add(Question.Purpose.TOPICS_WANTED)
    return [a for a in answers if a.question.purpose not in private]


def response_row(*, request: FeedbackRequest, anonymous: bool, submitted_on: date) -> Response:
    """The unsaved response to ``request``: named and released, or, in an anonymous programme,
    without a person, held, and dated the day the form was sent (which every recipient shares,
    not the day of answering, which could single someone out)."""
    return Response(
        session_id=request.session_id,
        form_id=request.form_id,
        person_id=None if anonymous else request.person_id,
        respondent_hash=respondent_hash(session_id=request.session_id, person_id=request.person_id),
        released=not anonymous,
        submitted_on=timezone.localdate(request.sent_at) if anonymous else submitted_on,
    )


def host_answer_hold(
    *, session_id: int, person_id: int, answer: str, topics: str, topic: str
) -> None:
    """Keep an anonymous programme's yes or maybe to hosting until the forms have closed."""
    HostAnswerHeld.objects.update_or_create(
        session_id=session_id,
        person_id=person_id,
        defaults={"answer": answer, "topics": topics[:2000], "topic": topic[:2000]},
    )


@transaction.atomic
def response_submit(*, request: FeedbackRequest, person: Person, data: dict) -> Response:
    """Store ``person``'s answers to ``request``: one response per person and session.

    ``data`` maps question ids of the request's form to cleaned values (see
    ``forms.ResponseForm.answers``). The request row is locked so a double submit waits and
    then sees ``answered``; the unique ``respondent_hash`` per session is the last guard.

    In an anonymous programme the response stores no person, and the answers that would tie
    it to a name are kept out of it: a yes or maybe to hosting (and the topics named with it)
    goes only to the named ``ProspectiveHost`` row, which holds no link to the response. The
    response is held until a batch can be released, and the host answer until the forms have
    closed (``feedback.release``), so no moment of change links the two.

    Raises PermissionDenied for someone else's request, ValidationError when the form is
    closed, already answered, or a value does not fit its question.
    """
    locked = (
        FeedbackRequest.objects.select_for_update()
        .select_related("session__programme")
        .get(pk=request.pk)
    )
    if locked.person_id != person.pk:
        raise PermissionDenied(_("This feedback form was sent to someone else."))
    if locked.answered:
        raise ValidationError(ALREADY_ANSWERED, code="answered")
    if locked.closes_at <= timezone.now():
        raise ValidationError(feedback_closed_message(request=locked, person=person), code="closed")
    session = locked.session
    anonymous = session.programme.feedback_anonymous
    questions = {q.pk: q for q in Question.objects.filter(form_id=locked.form_id)}
    answers = answers_validate(questions=questions, data=data)
    host_answer, topics, topic = host_interest_of(answers=answers, data=data)
    answers = answers_kept(answers=answers, anonymous=anonymous, host_answer=host_answer)

    try:
        with transaction.atomic():
            response = response_row(
                request=locked, anonymous=anonymous, submitted_on=timezone.localdate()
            )
            response.session, response.person = session, None if anonymous else person
            response.save(force_insert=True)
    except IntegrityError:
        raise ValidationError(ALREADY_ANSWERED, code="answered") from None
    for answer in answers:
        answer.response = response
    Answer.objects.bulk_create(answers)
    locked.answered = True
    locked.save(update_fields=["answered"])
    request.answered = True
    if anonymous:
        # Held, and the name shown only after the forms close (see ``feedback.release``).
        if host_answer:
            host_answer_hold(
                session_id=session.pk,
                person_id=person.pk,
                answer=host_answer,
                topics=topics,
                topic=topic,
            )
        feedback_release_if_batch(session_id=session.pk)
        return response
    if host_answer:
        prospective_host_record(
            programme=session.programme,
            person=person,
            answer=host_answer,
            topics=topics,
            topic=topic,
            source_session=session,
        )
    # Announced per named response; anonymous ones only per released batch (feedback/release.py).
    transaction.on_commit(
        lambda: signals.feedback_received.send_robust(
            Response, session_id=session.pk, person_id=person.pk
        ),
        robust=True,
    )
    return response

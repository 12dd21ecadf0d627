"""Feedback: my pending requests, a request's questions, submitting my answers, a session's form,
and a session's aggregated results for its hosts, its programme's organisers and admins.

Everything goes through ``kshare.feedback``: answers are checked by the questions' own rules, which
the web page's ``ResponseForm`` is made of (``kshare.feedback.inputs.answers_check``), and stored
by ``response_submit`` (so anonymity is the service's: in an
anonymous programme the response keeps no person). Results come from
``kshare.feedback.results.session_results``: counts, means and distributions, and free-text
comments in a keyed-shuffled order, never with a name, whatever the programme.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from kshare.api.auth import require_write
from kshare.api.errors import ApiError, not_found
from kshare.api.pagination import PageQuery, cursor_page
from kshare.api.routers.sessions import session_visible
from kshare.api.schemas import ERRORS, Id, JsonInt, Page
from kshare.api.util import PathId
from kshare.core.inputs import InputError
from kshare.feedback.inputs import answers_check
from kshare.feedback.models import FeedbackRequest, Question
from kshare.feedback.results import session_results, session_results_allowed
from kshare.feedback.selectors import feedback_requests_open
from kshare.feedback.services import feedback_form_current, response_submit

router = Router(tags=["feedback"])

KindName = Literal["rating", "nps", "single", "multiple", "short_text", "long_text", "yes_no"]
PurposeName = Literal["", "overall", "topics_wanted", "host_interest", "host_topic"]
AnswerText = Annotated[str, StringConstraints(strict=True, max_length=5000)]
ChoiceText = Annotated[str, StringConstraints(strict=True, max_length=300)]


class SessionBrief(Schema):
    id: int
    title: str
    url: str


class QuestionOut(Schema):
    id: int
    position: int
    kind: KindName
    text: str
    help_text: str
    required: bool
    choices: list[str]
    purpose: PurposeName


class FeedbackRequestOut(Schema):
    id: int
    session: SessionBrief
    programme: str
    anonymous: bool = Field(description="answers are stored without the respondent")
    sent_at: dt.datetime
    closes_at: dt.datetime
    answered: bool
    open: bool = Field(description="not answered and not closed")


class FeedbackRequestDetailOut(FeedbackRequestOut):
    form_version: int
    questions: list[QuestionOut]


class FormOut(Schema):
    session_id: int
    programme_id: int
    version: int
    anonymous: bool
    questions: list[QuestionOut]


class AnswerIn(Schema):
    question: Id
    value: JsonInt | AnswerText | Annotated[list[ChoiceText], Field(max_length=100)] = Field(
        description=(
            "rating 1-5 / NPS 0-10: a number; yes_no: 'yes' or 'no'; single: one of the choices; "
            "multiple: a list of choices; short_text / long_text: text"
        )
    )


class ResponseIn(Schema):
    answers: list[AnswerIn] = Field(max_length=100)


class ResponseOut(Schema):
    request_id: int
    session_id: int
    anonymous: bool
    message: str


class DistributionOut(Schema):
    label: str
    count: int


class QuestionResultOut(Schema):
    question_id: int
    text: str
    kind: KindName
    purpose: PurposeName
    version: int
    position: int
    answers: int
    mean: float | None
    median: float | None
    nps: int | None
    distribution: list[DistributionOut]
    texts: list[str] = Field(description="comments, shuffled, never with a name")


class ResultsOut(Schema):
    session_id: int
    anonymous: bool
    responses: int
    requests: int
    rate: int | None = Field(description="percent of requests answered")
    overall_mean: float | None
    overall_answers: int
    programme_mean: float | None
    overall_distribution: list[DistributionOut]
    questions: list[QuestionResultOut]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def question_out(q: Question) -> dict[str, Any]:
    return {
        "id": q.pk,
        "position": q.position,
        "kind": q.kind,
        "text": q.text,
        "help_text": q.help_text,
        "required": q.required,
        "choices": [str(c) for c in q.choices or []],
        "purpose": q.purpose,
    }


def request_out(item: FeedbackRequest) -> dict[str, Any]:
    session = item.session
    return {
        "id": item.pk,
        "session": {"id": session.pk, "title": session.title, "url": session.get_absolute_url()},
        "programme": session.programme.name,
        "anonymous": session.programme.feedback_anonymous,
        "sent_at": item.sent_at,
        "closes_at": item.closes_at,
        "answered": item.answered,
        "open": item.is_open,
    }


def _own_request(request: HttpRequest, pk: int) -> FeedbackRequest:
    """The caller's own request; someone else's is the 404 a missing one gets."""
    found = (
        FeedbackRequest.objects.select_related("session__programme", "form")
        .filter(pk=pk, person=request.user)
        .first()
    )
    if found is None:
        raise not_found(_("No such feedback request."))
    return found


@router.get(
    "/requests", response={200: Page[FeedbackRequestOut], **ERRORS}, summary="My pending feedback"
)
def request_list(request: HttpRequest, page: Query[PageQuery]) -> dict[str, Any]:
    """The forms the caller can still answer, the soonest to close first."""
    rows = feedback_requests_open(person=request.user).select_related("session__programme")
    result = cursor_page(rows, cursor=page.cursor, limit=page.limit, order=("closes_at", "id"))
    return {
        "items": [request_out(r) for r in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.get(
    "/requests/{request_id}",
    response={200: FeedbackRequestDetailOut, **ERRORS},
    summary="One of my feedback requests, with its questions",
)
def request_detail(request: HttpRequest, request_id: PathId) -> dict[str, Any]:
    item = _own_request(request, request_id)
    return {
        **request_out(item),
        "form_version": item.form.version,
        "questions": [question_out(q) for q in item.form.questions.order_by("position", "id")],
    }


def _answer_values(answers: list[AnswerIn], questions: dict[int, Question]) -> dict[int, Any]:
    unknown = [str(a.question) for a in answers if a.question not in questions]
    if unknown:
        raise ApiError(
            400,
            "invalid",
            _("Some answers belong to questions that are not on this form."),
            {"answers": [_("Not on this form: %(ids)s.") % {"ids": ", ".join(unknown[:10])}]},
        )
    return {answer.question: answer.value for answer in answers}


@router.post(
    "/requests/{request_id}/response",
    response={201: ResponseOut, **ERRORS},
    summary="Submit my answers",
)
def response_create(request: HttpRequest, request_id: PathId, payload: ResponseIn):
    """Answer one's own feedback request, once. Closed or already answered is a 409. In an
    anonymous programme the stored response keeps no person (see the service)."""
    require_write(request)
    item = _own_request(request, request_id)
    anonymous = item.session.programme.feedback_anonymous
    questions = {q.pk: q for q in item.form.questions.order_by("position", "id")}
    try:
        answers = answers_check(
            questions=questions.values(),
            values=_answer_values(payload.answers, questions),
            anonymous=anonymous,
        )
    except InputError as exc:
        fields = {f"answers.{pk}": messages for pk, messages in exc.fields.items()}
        message = " ".join(m for messages in fields.values() for m in messages)
        raise ApiError(400, "invalid", message or _("Invalid answers."), fields) from None
    try:
        response_submit(request=item, person=request.user, data=answers)
    except PermissionDenied:
        raise not_found(_("No such feedback request.")) from None
    except ValidationError as exc:
        code = exc.code if exc.code in ("answered", "closed") else "invalid"
        status = 409 if code in ("answered", "closed") else 400
        raise ApiError(status, code, " ".join(exc.messages)) from None
    message = (
        _("Thank you: your answers are saved anonymously.")
        if anonymous
        else _("Thank you: your answers are saved.")
    )
    return Status(
        201,
        {
            "request_id": item.pk,
            "session_id": item.session_id,
            "anonymous": anonymous,
            "message": message,
        },
    )


@router.get(
    "/sessions/{session_id}/form",
    response={200: FormOut, **ERRORS},
    summary="A session's feedback form",
)
def session_form(request: HttpRequest, session_id: PathId) -> dict[str, Any]:
    """The questions of the session's programme's current form (anyone who may see it)."""
    session = session_visible(request, session_id)
    form = feedback_form_current(programme=session.programme)
    return {
        "session_id": session.pk,
        "programme_id": session.programme_id,
        "version": form.version,
        "anonymous": session.programme.feedback_anonymous,
        "questions": [question_out(q) for q in form.questions.order_by("position", "id")],
    }


@router.get(
    "/sessions/{session_id}/results",
    response={200: ResultsOut, **ERRORS},
    summary="A session's feedback results",
)
def session_results_get(request: HttpRequest, session_id: PathId) -> dict[str, Any]:
    """Aggregates for the session's hosts, its programme's organisers and admins (403 for
    others who may see the session). No names, ever; comments in a shuffled order."""
    session = session_visible(request, session_id)
    if not session_results_allowed(person=request.user, session=session):
        raise ApiError(
            403,
            "forbidden",
            _("Only the session's hosts, its programme's organisers and admins see its feedback."),
        )
    results = session_results(session=session)
    return {
        "session_id": session.pk,
        "anonymous": results.anonymous,
        "responses": results.responses,
        "requests": results.requests,
        "rate": results.rate,
        "overall_mean": _number(results.overall_mean),
        "overall_answers": results.overall_answers,
        "programme_mean": _number(results.programme_mean),
        "overall_distribution": [
            {"label": label, "count": count} for label, count in results.overall_distribution
        ],
        "questions": [
            {
                "question_id": q.question_id,
                "text": q.text,
                "kind": q.kind,
                "purpose": q.purpose,
                "version": q.version,
                "position": q.position,
                "answers": q.answers,
                "mean": _number(q.mean),
                "median": _number(q.median),
                "nps": q.nps,
                "distribution": [{"label": lbl, "count": n} for lbl, n in q.distribution],
                "texts": q.texts,
            }
            for q in results.questions
        ],
    }

"""Aggregated feedback results per session and per programme, as plain dataclasses.

Everything is counted in the database (``values`` + ``annotate``): a fixed number of queries
whatever the number of responses. Means and medians come from the 1..5 (or 0..10) distribution,
so they are exact. Old responses keep their questions: results are grouped by the question of
the form version that was answered, labelled with its text and version.

Free text is never shown in submission order (that would let a host match a comment with the
person who just left the room): it is ordered by a keyed hash of the answer id, stable per page
view and meaningless without the secret key. Names never appear here; only the CSV export adds
them, for organisers of programmes without anonymity.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.core.versioned import Versioned
from kshare.feedback.models import Answer, FeedbackRequest, Question, Response
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programme_can_edit
from kshare.sessions.models import Session, State
from kshare.sessions.selectors import session_can_edit

TWO = Decimal("0.01")
TEXT_KINDS = (Question.Kind.SHORT_TEXT, Question.Kind.LONG_TEXT)
CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)
NUMBER_KINDS = (Question.Kind.RATING, Question.Kind.NPS, Question.Kind.YES_NO)
SCALES: dict[str, range] = {Question.Kind.RATING: range(1, 6), Question.Kind.NPS: range(0, 11)}


@dataclass
class QuestionResult:
    question_id: int
    text: str
    kind: str
    purpose: str
    version: int
    position: int
    answers: int = 0
    mean: Decimal | None = None  # rating and NPS, 2 decimals
    median: Decimal | None = None
    # (value or choice label, count): 1..5 for ratings, 0..10 for NPS, choices in their order,
    # ("Yes", n), ("No", n) for yes/no.
    distribution: list[tuple[str, int]] = field(default_factory=list)
    nps: int | None = None  # % promoters (9-10) minus % detractors (0-6)
    texts: list[str] = field(default_factory=list)


@dataclass
class SessionResults:
    session: Session
    anonymous: bool
    responses: int
    requests: int
    rate: int | None  # percent of requests answered
    overall_mean: Decimal | None
    overall_answers: int
    programme_mean: Decimal | None
    overall_distribution: list[tuple[str, int]]
    questions: list[QuestionResult]
    several_versions: bool


@dataclass
class TrendPoint:
    session: Session
    responses: int
    requests: int
    rate: int | None
    mean: Decimal | None


@dataclass
class ProgrammeResults:
    programme: Programme
    responses: int
    requests: int
    rate: int | None
    overall_mean: Decimal | None
    overall_answers: int
    overall_distribution: list[tuple[str, int]]
    trend: list[TrendPoint]
    questions: list[QuestionResult]
    several_versions: bool


# -- permissions ------------------------------------------------------------------------------


def session_results_allowed(*, person: Person, session: Session) -> bool:
    """The session's hosts, its programme's organisers and admins see its results."""
    return session_can_edit(person=person, session=session)


def names_allowed(*, person: Person, programme: Programme) -> bool:
    """Names go only to organisers and admins, and only when feedback is not anonymous."""
    return not programme.feedback_anonymous and programme_can_edit(
        person=person, programme=programme
    )


def session_feedback_due(*, session: Session) -> bool:
    """Held, or scheduled with its end passed: the sessions that collect feedback."""
    if session.state == State.HELD:
        return True
    return (
        session.state == State.SCHEDULED
        and session.end is not None
        and (session.end <= timezone.now())
    )


# -- maths ------------------------------------------------------------------------------------


def percent(part: int, whole: int) -> int | None:
    if whole <= 0:
        return None
    return int((Decimal(100 * part) / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def mean_of(counts: dict[int, int]) -> Decimal | None:
    n = sum(counts.values())
    if n == 0:
        return None
    total = sum(value * count for value, count in counts.items())
    return (Decimal(total) / n).quantize(TWO, rounding=ROUND_HALF_UP)


def median_of(counts: dict[int, int]) -> Decimal | None:
    """The median from a distribution: the middle value, or the mean of the two middle ones."""
    n = sum(counts.values())
    if n == 0:
        return None
    ordered = sorted(counts.items())

    def nth(k: int) -> int:  # 0-based k-th smallest value
        seen = 0
        for value, count in ordered:
            seen += count
            if k < seen:
                return value
        raise AssertionError("unreachable")

    middle = (Decimal(nth((n - 1) // 2)) + Decimal(nth(n // 2))) / 2
    return middle.quantize(TWO)


def nps_of(counts: dict[int, int]) -> int | None:
    """Net promoter score: % answering 9-10 minus % answering 0-6, rounded to a whole number."""
    n = sum(counts.values())
    if n == 0:
        return None
    promoters = sum(c for v, c in counts.items() if v >= 9)
    detractors = sum(c for v, c in counts.items() if v <= 6)
    return int(
        (Decimal(100 * (promoters - detractors)) / n).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )


def shuffle_key(answer_id: int) -> bytes:
    """A keyed hash of an id: a stable order that says nothing about submission order."""
    return hashlib.blake2b(
        str(answer_id).encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=16
    ).digest()


# -- aggregation ------------------------------------------------------------------------------


def _questions_answered(responses: QuerySet[Response]) -> list[Question]:
    """Questions of every form version that got answers here, by version then position."""
    return list(
        Question.objects.filter(form__in=responses.values("form_id"))
        .select_related("form")
        .order_by("-form__version", "position")
    )


def _aggregate(
    answers: QuerySet[Answer], questions: list[Question], *, with_texts: bool
) -> list[QuestionResult]:
    """Three grouped queries (numbers, choices, texts) for all questions at once."""
    numbers: dict[int, dict[int, int]] = defaultdict(dict)
    for row in (
        answers.filter(number__isnull=False)
        .values("question_id", "number")
        .annotate(n=Count("id"))
        .order_by()
    ):
        numbers[row["question_id"]][cast(int, row["number"])] = row["n"]
    # A JSON list groups as a whole: a handful of distinct selections, however many answers.
    choices: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    choice_answers: dict[int, int] = defaultdict(int)
    for choice_row in (
        answers.filter(question__kind__in=CHOICE_KINDS)
        .values("question_id", "selected")
        .annotate(n=Count("id"))
        .order_by()
    ):
        selected = choice_row["selected"] if isinstance(choice_row["selected"], list) else []
        if selected:
            choice_answers[choice_row["question_id"]] += choice_row["n"]
        for choice in set(map(str, selected)):
            choices[choice_row["question_id"]][choice] += choice_row["n"]
    texts: dict[int, list[tuple[bytes, str]]] = defaultdict(list)
    if with_texts:
        for pk, question_id, text in (
            answers.filter(question__kind__in=TEXT_KINDS)
            .exclude(text="")
            .values_list("id", "question_id", "text")
            .order_by()
        ):
            texts[question_id].append((shuffle_key(pk), text))

    results = []
    for q in questions:
        result = QuestionResult(
            question_id=q.pk,
            text=q.text,
            kind=q.kind,
            purpose=q.purpose,
            version=q.form.version,
            position=q.position,
        )
        counts = numbers.get(q.pk, {})
        if q.kind in SCALES:
            scale = SCALES[q.kind]
            result.answers = sum(counts.values())
            result.distribution = [(str(v), counts.get(v, 0)) for v in scale]
            result.mean = mean_of(counts)
            result.median = median_of(counts)
            if q.kind == Question.Kind.NPS:
                result.nps = nps_of(counts)
        elif q.kind == Question.Kind.YES_NO:
            result.answers = sum(counts.values())
            result.distribution = [(_("Yes"), counts.get(1, 0)), (_("No"), counts.get(0, 0))]
        elif q.kind in CHOICE_KINDS:
            counted = choices.get(q.pk, {})
            result.answers = choice_answers.get(q.pk, 0)
            labels = [str(c) for c in q.choices]
            # Choices removed from the question since still count, after the current ones.
            labels += sorted(set(counted) - set(labels))
            result.distribution = [(label, counted.get(label, 0)) for label in labels]
        else:
            ordered = sorted(texts.get(q.pk, []))
            result.texts = [text for _key, text in ordered]
            result.answers = len(result.texts)
        results.append(result)
    return results


def _overall(questions: Iterable[QuestionResult]) -> tuple[Decimal | None, int, dict[int, int]]:
    """The "overall" rating across form versions: mean, number of answers, distribution."""
    merged: dict[int, int] = defaultdict(int)
    for q in questions:
        if q.purpose == Question.Purpose.OVERALL and q.kind == Question.Kind.RATING:
            for value, count in q.distribution:
                merged[int(value)] += count
    return mean_of(merged), sum(merged.values()), merged


def _overall_distribution(merged: dict[int, int]) -> list[tuple[str, int]]:
    return [(_stars(v), merged.get(v, 0)) for v in range(5, 0, -1)]


def _stars(value: int | str) -> str:
    """ "1 star", "4 stars": a rating's label in charts and mails."""
    n = int(value)
    return ngettext("%(count)s star", "%(count)s stars", n) % {"count": n}


# Overall ratings summed over many answers (a programme's ~45,000 on the 5,000-person demo: ~40 ms
# of SQL, most of a results page; every session's, for the expertise directory) are cached under
# a version token that ``overall_ratings_changed`` replaces whenever a row they read changes:
# responses released (``feedback.release``) or saved, answers, questions, a session moved to
# another programme, deletions (``feedback.receivers``). Only released answers are counted, so
# a cached figure never says more than the released responses do.
OVERALL_RATINGS = Versioned("feedback:overall-ratings")


def overall_ratings_changed() -> None:
    """Make the cached overall ratings stale (``kshare.core.versioned``)."""
    OVERALL_RATINGS.changed()


def _overall_answers() -> QuerySet[Answer]:
    return Answer.objects.filter(
        response__released=True, question__purpose=Question.Purpose.OVERALL, number__isnull=False
    )


def programme_overall_mean(*, programme: Programme) -> Decimal | None:
    """The mean overall rating (1-5) of the programme's released answers (cached, exact)."""

    def compute() -> tuple[int, int]:
        row = (
            _overall_answers()
            .filter(response__session__programme=programme, question__kind=Question.Kind.RATING)
            .aggregate(total=Sum("number"), n=Count("id"))
        )
        return row["total"] or 0, row["n"]

    total, n = OVERALL_RATINGS.get(compute, f"programme:{programme.pk}")
    if not n:
        return None
    return (Decimal(total) / n).quantize(TWO, rounding=ROUND_HALF_UP)


def overall_ratings_by_session() -> dict[int, tuple[int, int]]:
    """Session id -> (sum, number) of its released overall ratings, for every rated session
    (cached, exact; one grouped query when the cache is stale)."""

    def compute() -> dict[int, tuple[int, int]]:
        rows = (
            _overall_answers()
            .values_list("response__session_id")
            .annotate(total=Sum("number"), n=Count("id"))
            .order_by()
        )
        return {session_id: (total, n) for session_id, total, n in rows}

    return OVERALL_RATINGS.get(compute, "sessions")


def session_results(*, session: Session) -> SessionResults:
    """Results of one session (about seven queries, whatever the number of responses)."""
    responses = Response.objects.released().filter(session=session)
    response_count = responses.count()
    request_count = FeedbackRequest.objects.filter(session=session).count()
    questions = _questions_answered(responses)
    results = _aggregate(Answer.objects.filter(response__in=responses), questions, with_texts=True)
    mean, n, merged = _overall(results)
    return SessionResults(
        session=session,
        anonymous=session.programme.feedback_anonymous,
        responses=response_count,
        requests=request_count,
        rate=percent(response_count, request_count),
        overall_mean=mean,
        overall_answers=n,
        programme_mean=programme_overall_mean(programme=session.programme),
        overall_distribution=_overall_distribution(merged),
        questions=results,
        several_versions=len({q.version for q in results}) > 1,
    )


def _feedback_sessions(programme: Programme) -> QuerySet[Session]:
    return (
        Session.objects.filter(programme=programme)
        .filter(Q(state=State.HELD) | Q(state=State.SCHEDULED, end__lte=timezone.now()))
        .order_by("start", "id")
    )


def programme_results(*, programme: Programme) -> ProgrammeResults:
    """Totals, per-question results (no free text) and the per-session trend of a programme."""
    sessions = list(_feedback_sessions(programme))
    responses = Response.objects.released().filter(session__programme=programme)
    per_session_responses = dict(
        responses.values_list("session_id").annotate(n=Count("id")).order_by()
    )
    per_session_requests = dict(
        FeedbackRequest.objects.filter(session__programme=programme)
        .values_list("session_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    overall_rows = (
        Answer.objects.filter(
            response__session__programme=programme,
            response__released=True,
            question__purpose=Question.Purpose.OVERALL,
            question__kind=Question.Kind.RATING,
            number__isnull=False,
        )
        .values("response__session_id", "number")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_session_overall: dict[int, dict[int, int]] = defaultdict(dict)
    for row in overall_rows:
        per_session_overall[row["response__session_id"]][cast(int, row["number"])] = row["n"]
    trend = []
    for s in sessions:
        got, asked = per_session_responses.get(s.pk, 0), per_session_requests.get(s.pk, 0)
        trend.append(
            TrendPoint(
                session=s,
                responses=got,
                requests=asked,
                rate=percent(got, asked),
                mean=mean_of(per_session_overall.get(s.pk, {})),
            )
        )
    questions = _questions_answered(responses)
    results = _aggregate(Answer.objects.filter(response__in=responses), questions, with_texts=False)
    mean, n, merged = _overall(results)
    total_responses = sum(per_session_responses.values())
    total_requests = sum(per_session_requests.values())
    return ProgrammeResults(
        programme=programme,
        responses=total_responses,
        requests=total_requests,
        rate=percent(total_responses, total_requests),
        overall_mean=mean,
        overall_answers=n,
        overall_distribution=_overall_distribution(merged),
        trend=trend,
        questions=results,
        several_versions=len({q.version for q in results}) > 1,
    )

"""CSV export of feedback responses (RFC 4180, through the one safe writer ``core.csv_export``).

One row per response: session, date submitted, optionally the person (only when the caller
says names are allowed — organisers and admins of programmes without anonymity), then one
column per question of every form version answered. Rows are ordered by a keyed hash of the
response id, never by submission.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import QuerySet

from kshare.core.csv_export import csv_writer
from kshare.feedback.models import Answer, Question, Response
from kshare.feedback.results import shuffle_key


def _cell(question: Question, row: dict) -> str:
    if question.kind == Question.Kind.YES_NO:
        return {1: "yes", 0: "no"}.get(row["number"], "")
    if question.kind in (Question.Kind.RATING, Question.Kind.NPS):
        return "" if row["number"] is None else str(row["number"])
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        selected = row["selected"] if isinstance(row["selected"], list) else []
        return "; ".join(map(str, selected))
    return row["text"]


def _rows(responses: QuerySet[Response], *, with_names: bool) -> Iterator[list[str]]:
    questions = list(
        Question.objects.filter(form__in=responses.values("form_id"))
        .select_related("form")
        .order_by("-form__version", "position")
    )
    several = len({q.form.version for q in questions}) > 1
    fields = ["id", "session__title", "submitted_on"]
    if with_names:
        fields += ["person__display_name", "person__email"]
    listed = sorted(responses.values(*fields).order_by(), key=lambda r: shuffle_key(r["id"]))
    answers: dict[int, dict[int, dict]] = defaultdict(dict)
    for row in (
        Answer.objects.filter(response__in=responses.values("id"))
        .values("response_id", "question_id", "number", "text", "selected")
        .order_by()
    ):
        answers[row["response_id"]][row["question_id"]] = row
    header = ["session", "date"] + (["person"] if with_names else [])
    header += [f"{q.text} (v{q.form.version})" if several else q.text for q in questions]
    yield header
    for r in listed:
        line = [r["session__title"], r["submitted_on"].isoformat()]
        if with_names:
            name, email = r["person__display_name"], r["person__email"]
            line.append(f"{name} <{email}>" if email else "")
        given = answers.get(r["id"], {})
        line += [_cell(q, given[q.pk]) if q.pk in given else "" for q in questions]
        yield line


def responses_csv(responses: QuerySet[Response], *, with_names: bool, bom: bool) -> str:
    """The whole CSV document as text; ``bom`` prefixes a UTF-8 byte-order mark for Excel."""
    out = io.StringIO()
    csv_writer(out, bom=bom).writerows(_rows(responses, with_names=with_names))
    return out.getvalue()

"""Feedback results pages and CSV exports, for hosts, organisers and admins.

A session that does not exist or is not visible is a 404 (nothing leaks); visible but not
hosted/organised is a 403. Pages never show names; the CSV adds a person column only for
organisers and admins of programmes without anonymity.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.feedback import charts
from kshare.feedback.export import responses_csv
from kshare.feedback.models import Question, Response
from kshare.feedback.release import release_batch_size
from kshare.feedback.results import (
    QuestionResult,
    names_allowed,
    programme_results,
    session_results,
    session_results_allowed,
)
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programme_can_edit, programmes_visible_to
from kshare.sessions.models import Session
from kshare.sessions.selectors import sessions_visible_to


def _session(request: HttpRequest, pk: int) -> Session:
    session = (
        sessions_visible_to(person=request.user).select_related("programme").filter(pk=pk).first()
    )
    if session is None:
        raise Http404
    if not session_results_allowed(person=request.user, session=session):
        raise PermissionDenied(
            _(
                "Feedback results are for the session's hosts, its programme's organisers "
                "and admins."
            )
        )
    return session


def _programme(request: HttpRequest, slug: str) -> Programme:
    programme = programmes_visible_to(person=request.user).filter(slug=slug[:120]).first()
    if programme is None:
        raise Http404
    if not programme_can_edit(person=request.user, programme=programme):
        raise PermissionDenied(_("Programme feedback is for its organisers and admins."))
    return programme


def _safe_svg(svg: str) -> SafeString:
    # charts.py escapes every label and title it writes into the SVG.
    return mark_safe(svg)  # noqa: S308


def _question_chart(q: QuestionResult, prefix: str) -> str:
    """A bar chart for every question with a distribution; free text has none."""
    if not q.distribution:
        return ""
    unit = "answer"
    labels = [label for label, _count in q.distribution]
    if q.kind == Question.Kind.RATING:
        labels = [
            ngettext("%(count)s star", "%(count)s stars", int(v)) % {"count": v} for v in labels
        ]
        labels.reverse()
        counts = [count for _label, count in reversed(q.distribution)]
    else:
        counts = [count for _label, count in q.distribution]
    return _safe_svg(
        charts.distribution_chart(
            chart_id=f"{prefix}-q{q.question_id}",
            title=q.text,
            labels=labels,
            counts=counts,
            unit=unit,
        )
    )


def _headline_chart(chart_id: str, distribution: list[tuple[str, int]]) -> str:
    return _safe_svg(
        charts.distribution_chart(
            chart_id=chart_id,
            title=_("Overall rating"),
            labels=[label for label, _count in distribution],
            counts=[count for _label, count in distribution],
            unit="response",
        )
    )


def session_results_view(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    results = session_results(session=session)
    comparison = charts.comparison_chart(
        chart_id="compare",
        title=_("This session compared with the programme average"),
        items=[
            (_("This session"), results.overall_mean),
            (_("Programme average"), results.programme_mean),
        ],
    )
    questions = [(q, _question_chart(q, "s")) for q in results.questions]
    return render(
        request,
        "feedback/results_session.html",
        {
            "session": session,
            "results": results,
            "headline_chart": _headline_chart("overall", results.overall_distribution),
            "comparison_chart": _safe_svg(comparison),
            "questions": questions,
            "can_see_programme": programme_can_edit(
                person=request.user, programme=session.programme
            ),
            "release_batch": release_batch_size(),
            "nav": "sessions",
        },
    )


def programme_results_view(request: HttpRequest, slug: str) -> HttpResponse:
    programme = _programme(request, slug)
    results = programme_results(programme=programme)
    trend = charts.trend_chart(
        chart_id="trend",
        title=_("Overall rating per session of %(name)s") % {"name": programme.name},
        labels=[
            date_format(timezone.localtime(p.session.start), "j M y") if p.session.start else "—"
            for p in results.trend
        ],
        values=[p.mean for p in results.trend],
    )
    questions = [(q, _question_chart(q, "p")) for q in results.questions]
    return render(
        request,
        "feedback/results_programme.html",
        {
            "programme": programme,
            "results": results,
            "headline_chart": _headline_chart("overall", results.overall_distribution),
            "trend_chart": _safe_svg(trend),
            "questions": questions,
            "nav": "programmes",
        },
    )


def _csv_response(request: HttpRequest, text: str, name: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def session_export(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    text = responses_csv(
        Response.objects.released().filter(session=session),
        with_names=names_allowed(person=request.user, programme=session.programme),
        bom=request.GET.get("bom") == "1",
    )
    audit_record(action=AuditEntry.Action.EXPORT, target=session, changes={"export": "feedback"})
    return _csv_response(request, text, f"feedback-session-{session.pk}.csv")


def programme_export(request: HttpRequest, slug: str) -> HttpResponse:
    programme = _programme(request, slug)
    text = responses_csv(
        Response.objects.released().filter(session__programme=programme),
        with_names=names_allowed(person=request.user, programme=programme),
        bom=request.GET.get("bom") == "1",
    )
    audit_record(action=AuditEntry.Action.EXPORT, target=programme, changes={"export": "feedback"})
    return _csv_response(request, text, f"feedback-{slugify(programme.slug)}.csv")

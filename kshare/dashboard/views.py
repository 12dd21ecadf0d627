"""The culture dashboard page and its CSV exports (organisers and admins only)."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.core.csv_export import csv_writer
from kshare.dashboard.charts import grouped_bar_chart
from kshare.dashboard.figures import FIGURES, FigureResult, Filters
from kshare.dashboard.forms import FilterForm
from kshare.dashboard.selectors import dashboard_allowed, figures_cached
from kshare.feedback.charts import trend_chart

FILTER_KEYS = ("programme", "team", "period", "start", "end")
# The order the page shows the figures in: what is happening (sessions, who comes, who hosts,
# how it is received) before the slower-moving ratios.
DISPLAY_ORDER = (
    "sessions",
    "reach",
    "hosts",
    "feedback",
    "conversion",
    "catch_up",
    "lead_time",
    "idea_to_session",
    "hours",
)


def _allowed(request: HttpRequest) -> None:
    if not dashboard_allowed(request.user):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only organisers and admins can see the dashboard."))


# Row labels written by the figures (the rest of a first column is data: months, team names).
_ROW_LABELS = {"No team", "Ideas", "Topic requests", "Both"}


def result_translated(result: FigureResult, filters: Filters) -> FigureResult:
    """The figure in the reader's language, for the page: the figures are computed and cached
    in English (marked with ``gettext_noop``), so their words are translated only when shown."""
    rows = []
    for row in result.rows:
        label = row[0]
        if result.name == "conversion":
            label = _("%(start)s to %(end)s") % {"start": filters.start, "end": filters.end}
        elif isinstance(label, str) and label in _ROW_LABELS:
            label = _(label)
        rows.append((label, *row[1:]))
    return dataclasses.replace(
        result,
        title=_(result.title),
        columns=[_(column) for column in result.columns],
        headline_label=_(result.headline_label),
        rows=rows,
    )


def _query(request: HttpRequest) -> str:
    pairs = [(key, request.GET[key]) for key in FILTER_KEYS if request.GET.get(key)]
    return urlencode(pairs)


# Charts already drawn, by what they are drawn from: the same figure is on every visit until
# its data changes, and drawing the nine SVGs was a third of the page's time. Keyed by content,
# so an entry is never stale; bounded, per process.
_CHARTS: dict[str, str] = {}
_CHARTS_KEPT = 256


def chart_for(result: FigureResult) -> str:
    """The figure's SVG (drawn once per content and process, see ``_CHARTS``)."""
    key = hashlib.sha256(
        repr(
            (result.name, result.chart, result.title, result.columns, result.series, result.rows)
        ).encode()
    ).hexdigest()
    svg = _CHARTS.get(key)
    if svg is None:
        svg = _chart_draw(result)
        if len(_CHARTS) >= _CHARTS_KEPT:
            _CHARTS.clear()
        _CHARTS[key] = svg
    return svg


def _chart_draw(result: FigureResult) -> str:
    """The figure's SVG: a trend line (feedback) or grouped bars of its ``series`` columns."""
    labels = [str(row[0]) for row in result.rows]
    chart_id = f"chart-{result.name}"
    if result.chart == "trend":
        return trend_chart(
            chart_id=chart_id,
            title=result.title,
            labels=labels,
            values=[row[result.series[0]] for row in result.rows],
        )
    return grouped_bar_chart(
        chart_id=chart_id,
        title=result.title,
        labels=labels,
        series=[(result.columns[i], [row[i] for row in result.rows]) for i in result.series],
    )


_FIGURES_HTML: dict[str, str] = {}


def _figures_html(figures: list[dict[str, Any]]) -> str:
    """The figures' sections, rendered once per content, language and time zone and process
    (the same figures are shown until their data change; rendering their tables was most of
    the page's time). Keyed by content, so never stale; bounded like ``_CHARTS``."""
    key = hashlib.sha256(
        repr(
            (
                get_language(),
                timezone.get_current_timezone_name(),
                [
                    (f["result"], f["formula"], f["chart"], f["csv_url"], f["legend"])
                    for f in figures
                ],
            )
        ).encode()
    ).hexdigest()
    html = _FIGURES_HTML.get(key)
    if html is None:
        html = render_to_string("dashboard/index.html#figures", {"figures": figures})
        if len(_FIGURES_HTML) >= _CHARTS_KEPT:
            _FIGURES_HTML.clear()
        _FIGURES_HTML[key] = html
    return mark_safe(html)  # noqa: S308 - rendered by the template, escaped there


def index(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = FilterForm(request.GET or {"period": "12m"})
    figures: list[dict[str, Any]] = []
    filters = None
    if form.is_valid():
        filters = form.filters()
        query = _query(request)
        results = figures_cached(filters, stale_ok=True)
        shown = [n for n in DISPLAY_ORDER if n in results] + [
            n for n in results if n not in DISPLAY_ORDER
        ]
        for name in shown:
            result = result_translated(results[name], filters)
            figures.append(
                {
                    "result": result,
                    "formula": FIGURES[name].formula,
                    "chart": mark_safe(chart_for(result)),  # noqa: S308 - built escaped
                    # Bar charts name each series in a legend (the trend line has one).
                    "legend": []
                    if result.chart == "trend"
                    else [(j, result.columns[i]) for j, i in enumerate(result.series)],
                    "csv_url": reverse("dashboard:csv", args=[name])
                    + (f"?{query}" if query else ""),
                }
            )
    stale = [f["result"].computed_at for f in figures if f["result"].stale]
    return render(
        request,
        "dashboard/index.html",
        {
            "form": form,
            "figures": figures,
            "figures_html": _figures_html(figures),
            "filters": filters,
            "stale_since": min(stale, default=None),  # type: ignore[type-var]
            "nav": "dashboard",
        },
    )


def figure_csv(request: HttpRequest, name: str) -> HttpResponse:
    _allowed(request)
    if name not in FIGURES:
        raise Http404(_("No such figure."))
    form = FilterForm(request.GET or {"period": "12m"})
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
        return HttpResponse(
            _("Invalid filters — %(errors)s") % {"errors": errors} + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = form.filters()
    # The CSV is data for other tools: its headers stay English, as every kshare CSV's do.
    result = figures_cached(filters, names=[name])[name]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="kshare-{name}-{filters.start}-{filters.end}.csv"'
    )
    writer = csv_writer(response)
    writer.writerow(result.columns)
    writer.writerows(result.rows)
    audit_record(
        action=AuditEntry.Action.EXPORT,
        target_type="dashboard.figure",
        target_id=name,
        target_label=f"dashboard figure {name}",
        changes={"export": name, "start": filters.start, "end": filters.end},
    )
    return response

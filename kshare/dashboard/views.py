"""The culture dashboard page and its CSV exports (organisers and admins only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.dashboard.charts import grouped_bar_chart
from kshare.dashboard.figures import FIGURES, FigureResult
from kshare.dashboard.forms import FilterForm
from kshare.dashboard.selectors import dashboard_allowed, figures_cached
from kshare.feedback.charts import trend_chart
from kshare.web.csv_export import csv_writer

FILTER_KEYS = ("programme", "team", "period", "start", "end")


def _allowed(request: HttpRequest) -> None:
    if not dashboard_allowed(request.user):  # type: ignore[arg-type]
        raise PermissionDenied("Only organisers and admins can see the dashboard.")


def _query(request: HttpRequest) -> str:
    pairs = [(key, request.GET[key]) for key in FILTER_KEYS if request.GET.get(key)]
    return urlencode(pairs)


def chart_for(result: FigureResult) -> str:
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


def index(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = FilterForm(request.GET or {"period": "12m"})
    figures: list[dict[str, Any]] = []
    filters = None
    if form.is_valid():
        filters = form.filters()
        query = _query(request)
        for name, result in figures_cached(filters, stale_ok=True).items():
            figures.append(
                {
                    "result": result,
                    "formula": FIGURES[name].formula,
                    "chart": mark_safe(chart_for(result)),  # noqa: S308 - built escaped
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
            "filters": filters,
            "stale_since": min(stale, default=None),  # type: ignore[type-var]
            "nav": "dashboard",
        },
    )


def figure_csv(request: HttpRequest, name: str) -> HttpResponse:
    _allowed(request)
    if name not in FIGURES:
        raise Http404("No such figure.")
    form = FilterForm(request.GET or {"period": "12m"})
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
        return HttpResponse(
            f"Invalid filters — {errors}\n", status=400, content_type="text/plain; charset=utf-8"
        )
    filters = form.filters()
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

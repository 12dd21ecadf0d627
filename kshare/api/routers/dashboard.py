"""Dashboard figures for organisers and admins (403 for everyone else), through
``kshare.dashboard.figures`` (``FIGURES`` and ``figure_compute``, cached and invalidated there).

Filters: ``programme`` and ``team`` ids, ``start`` and ``end`` days (both included, or neither:
the last 12 months), checked by the rules the dashboard page's form uses
(``kshare.dashboard.inputs``). Each figure is a table:
``columns`` and ``rows`` (the first cell of a row is its label; empty cells are null;
shares are numbers with one decimal), its ``headline`` number and its ``formula`` (the
docstring that defines it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kshare.api.errors import ApiError, not_found
from kshare.api.schemas import ERRORS, Day, QueryId
from kshare.api.util import NOT_A_CHOICE, input_valid
from kshare.core.inputs import InputErrors
from kshare.dashboard.figures import FIGURES, FigureResult, Filters
from kshare.dashboard.inputs import DEFAULT_PERIOD, FilterInput, filter_input_check
from kshare.dashboard.selectors import dashboard_allowed, figure_compute, figures_cached
from kshare.people.models import Team
from kshare.programmes.models import Programme

router = Router(tags=["dashboard"])

Cell = str | int | float | None
# Days outside 1970-2999 are refused, as by the dashboard's input rules (a period ending on
# 9999-12-31 would overflow); the schema's pattern says so.
PeriodDay = Day(1970, 2999, r"^(19[7-9][0-9]|2[0-9]{3})-")


class FigureInfo(Schema):
    name: str
    title: str
    formula: str


class FigureList(Schema):
    items: list[FigureInfo]


class FigureOut(Schema):
    name: str
    title: str
    unit: str
    columns: list[str]
    rows: list[list[Cell]]
    headline: float | int | None
    headline_label: str
    formula: str
    programme: int | None
    team: int | None
    start: dt.date
    end: dt.date


class FiguresOut(Schema):
    items: list[FigureOut]


class FigureFilters(Schema):
    programme: QueryId | None = Field(None, description="programme id")
    team: QueryId | None = Field(None, description="team id")
    start: PeriodDay | None = Field(None, description="first day (with end)")
    end: PeriodDay | None = Field(None, description="last day (with start)")


def _allowed(request: HttpRequest) -> None:
    if not dashboard_allowed(request.user):
        raise ApiError(403, "forbidden", _("Only organisers and admins can see the dashboard."))


def _choice[M: (Programme, Team)](
    model: type[M], pk: int | None, *, field: str, errors: InputErrors
) -> M | None:
    found = model.objects.filter(pk=pk).first() if pk is not None else None
    if pk is not None and found is None:
        errors.add(field, str(NOT_A_CHOICE))
    return found


def _filters(params: FigureFilters) -> Filters:
    errors = InputErrors()
    custom = params.start is not None or params.end is not None
    data = FilterInput(
        programme=_choice(Programme, params.programme, field="programme", errors=errors),
        team=_choice(Team, params.team, field="team", errors=errors),
        period="custom" if custom else DEFAULT_PERIOD,
        start=params.start,
        end=params.end,
    )
    return input_valid(filter_input_check, data, errors=errors)


def _cell(value: Any) -> Cell:
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def figure_out(result: FigureResult, filters: Filters) -> dict[str, Any]:
    return {
        "name": result.name,
        "title": result.title,
        "unit": result.unit,
        "columns": list(result.columns),
        "rows": [[_cell(c) for c in row] for row in result.rows],
        "headline": _cell(result.headline),
        "headline_label": result.headline_label,
        "formula": FIGURES[result.name].formula,
        "programme": filters.programme_id,
        "team": filters.team_id,
        "start": filters.start,
        "end": filters.end,
    }


@router.get("/figures", response={200: FiguresOut, **ERRORS}, summary="Every figure")
def figure_all(request: HttpRequest, params: Query[FigureFilters]) -> dict[str, Any]:
    """Every figure for the filters, in the dashboard's order."""
    _allowed(request)
    filters = _filters(params)
    return {"items": [figure_out(r, filters) for r in figures_cached(filters).values()]}


@router.get("/definitions", response={200: FigureList, **ERRORS}, summary="The figures' formulas")
def figure_list(request: HttpRequest) -> dict[str, Any]:
    _allowed(request)
    return {
        "items": [
            {"name": f.name, "title": f.title, "formula": f.formula} for f in FIGURES.values()
        ]
    }


@router.get("/figures/{name}", response={200: FigureOut, **ERRORS}, summary="One figure")
def figure_one(request: HttpRequest, name: str, params: Query[FigureFilters]) -> dict[str, Any]:
    _allowed(request)
    if name not in FIGURES:
        raise not_found(_("No such figure."))
    filters = _filters(params)
    result = figure_compute(
        name,
        programme=filters.programme_id,
        team=filters.team_id,
        start=filters.start,
        end=filters.end,
    )
    return figure_out(result, filters)

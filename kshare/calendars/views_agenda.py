"""Week and month calendars: information sharing (rhythm) and knowledge sharing (sessions)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR

from kshare.calendars.agenda import agenda_days

MIN_YEAR, MAX_YEAR = 1970, 2200


def _day_or_404(year: int, month: int, day: int = 1) -> date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404("No calendar for that year.")
    try:
        return date(year, month, day)
    except ValueError:
        raise Http404("No such date.") from None


def _date_kwargs(day: date) -> dict[str, str]:
    # Zero-padded, so that the URL reads like an ISO date: /calendar/week/2026-03-02/.
    return {"year": f"{day.year:04d}", "month": f"{day.month:02d}", "day": f"{day.day:02d}"}


def _month_url(day: date) -> str:
    kwargs = _date_kwargs(day)
    del kwargs["day"]
    return reverse("calendars:month_of", kwargs=kwargs)


def _month_of_week(chosen: date, monday: date) -> date:
    """The month a week view belongs to: the day asked for (today, or a date in the address),
    or for a week addressed by its Monday the month holding most of its days (its Thursday's,
    as ISO weeks count), so "Month view" of 29 Dec to 4 Jan opens January."""
    return chosen if chosen != monday else monday + timedelta(days=3)


def _options(request: HttpRequest) -> tuple[bool, str]:
    all_teams = request.GET.get("teams") == "all"
    return all_teams, "?teams=all" if all_teams else ""


def _context(request: HttpRequest, *, all_teams: bool, query: str, here: str) -> dict:
    return {
        "all_teams": all_teams,
        "query": query,
        "has_team": request.user.team_id is not None,
        "toggle_url": here if all_teams else here + "?teams=all",
        "tz_name": timezone.get_current_timezone_name(),
        "nav": "calendar",
    }


def calendar_week(
    request: HttpRequest, year: int | None = None, month: int | None = None, day: int | None = None
) -> HttpResponse:
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    chosen = _day_or_404(year, month, day) if year is not None else today
    monday = chosen - timedelta(days=chosen.weekday())
    if monday.year < MIN_YEAR or monday.year > MAX_YEAR:
        raise Http404("No calendar for that year.")
    all_teams, query = _options(request)
    days = agenda_days(
        person=request.user,
        first=monday,
        last=monday + timedelta(days=6),
        tz=tz,
        today=today,
        all_teams=all_teams,
    )

    def week_url(first: date) -> str:
        return reverse("calendars:week_of", kwargs=_date_kwargs(first))

    here = week_url(monday)
    return render(
        request,
        "calendars/week.html",
        {
            **_context(request, all_teams=all_teams, query=query, here=here),
            "days": days,
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "prev_url": week_url(monday - timedelta(days=7)) + query,
            "next_url": week_url(monday + timedelta(days=7)) + query,
            "today_url": reverse("calendars:week") + query,
            "is_this_week": monday <= today <= monday + timedelta(days=6),
            "month_url": _month_url(_month_of_week(chosen, monday)) + query,
        },
    )


def calendar_month(
    request: HttpRequest, year: int | None = None, month: int | None = None
) -> HttpResponse:
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    first = _day_or_404(year, month) if year is not None else today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    all_teams, query = _options(request)
    days = agenda_days(
        person=request.user, first=first, last=last, tz=tz, today=today, all_teams=all_teams
    )
    # Blank cells before the 1st, so that the grid's columns are weekdays (Monday first).
    leading = range(first.weekday())
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)

    here = _month_url(first)
    return render(
        request,
        "calendars/month.html",
        {
            **_context(request, all_teams=all_teams, query=query, here=here),
            "days": days,
            "first": first,
            "leading": leading,
            "weekdays": [WEEKDAYS_ABBR[day] for day in range(7)],
            "prev_url": _month_url(prev_month) + query if prev_month.year >= MIN_YEAR else "",
            "next_url": _month_url(next_month) + query if next_month.year <= MAX_YEAR else "",
            "today_url": reverse("calendars:month") + query,
            "is_this_month": first.year == today.year and first.month == today.month,
            "week_url": reverse(
                "calendars:week_of",
                kwargs=_date_kwargs(
                    today if first.year == today.year and first.month == today.month else first
                ),
            )
            + query,
            "sessions_total": sum(day.sessions for day in days),
        },
    )

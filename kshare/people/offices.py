"""Where someone's office is, for public holidays: a country (ISO 3166-1 alpha-2, e.g. ``DE``)
and optionally a region of it (the ``holidays`` package's subdivision code, e.g. ``BY`` for
Bavaria). Plain data in, plain data out; the ``holidays`` package is the only source.

Holiday names are in English where the package has them (``language="en_US"``), else in the
country's own language.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache, lru_cache

import holidays
from django.utils.translation import gettext as _

# The holiday calendars the package ships, by country: {"DE": ["BB", "BE", …], …}.
SUPPORTED: dict[str, list[str]] = holidays.list_supported_countries()


def _label(class_name: str) -> str:
    # "UnitedStates" → "United States"; the registry has no display names of its own.
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)


@cache
def country_choices() -> list[tuple[str, str]]:
    """(code, name) of every country with a holiday calendar, by name."""
    from holidays.registry import COUNTRIES

    names = {entry[1]: _label(entry[0]) for entry in COUNTRIES.values()}
    return sorted(((code, names.get(code, code)) for code in SUPPORTED), key=lambda c: c[1])


def office_region_error(country: str, subdivision: str) -> str | None:
    """Why (country, subdivision) is no holiday calendar, in one sentence; None when it is.
    Both empty means "no office set" (only the company's closure days apply)."""
    if not country:
        return _("Choose the country before its region.") if subdivision else None
    if country not in SUPPORTED:
        return _("There is no public-holiday calendar for the country code “%(country)s”.") % {
            "country": country
        }
    if subdivision and subdivision not in SUPPORTED[country]:
        regions = SUPPORTED[country]
        if not regions:
            return _(
                "%(country)s has no regions with holidays of their own: leave the region empty."
            ) % {"country": country}
        shown = regions[:12]
        values = {"country": country, "region": subdivision, "listed": ", ".join(shown[:-1])}
        values["last"] = shown[-1]
        if len(shown) == 1:
            return _("%(country)s has no region “%(region)s”; its regions are %(last)s.") % values
        if len(regions) > len(shown):
            return (
                _(
                    "%(country)s has no region “%(region)s”; "
                    "its regions include %(listed)s and %(last)s."
                )
                % values
            )
        return (
            _("%(country)s has no region “%(region)s”; its regions are %(listed)s and %(last)s.")
            % values
        )
    return None


def office_region(country: str, subdivision: str) -> str:
    """One key for a holiday calendar: ``"DE-BY"``, ``"US"``, or ``""`` for none."""
    if not country:
        return ""
    return f"{country}-{subdivision}" if subdivision else country


@lru_cache(maxsize=256)
def _year(region: str, year: int) -> tuple[tuple[date, str], ...]:
    country, _, subdivision = region.partition("-")
    try:
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=year, language="en_US"
        )
    except NotImplementedError:  # a code stored before it was validated: no holidays
        return ()
    return tuple(sorted(calendar.items()))


def public_holidays(*, region: str, first: date, last: date) -> dict[date, str]:
    """The public holidays of ``region`` (``office_region``) from ``first`` to ``last``
    inclusive, with their names; empty for no region."""
    if not region or last < first:
        return {}
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        for day, name in _year(region, year):
            if first <= day <= last:
                found[day] = name
    return found

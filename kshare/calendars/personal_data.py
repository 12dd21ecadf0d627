"""Calendars' part of "Your data" and of deleting an account (see
``kshare.people.personal_data_registry``). The feed's secret address is not exported: it is a
credential, and the person can see it on their calendar page."""

from __future__ import annotations

from typing import Any

from kshare.calendars.models import CalendarFeed
from kshare.people.models import Person

HANDLES = {"calendars.CalendarFeed.person": "deleted (the feed's address stops working)"}


def export(person: Person) -> dict[str, Any]:
    return {
        "calendar_feed": CalendarFeed.objects.filter(person=person)
        .values("include_rhythm", "created_at")
        .first()
    }


def erase(person: Person, placeholder: Person) -> None:
    CalendarFeed.objects.filter(person=person).delete()

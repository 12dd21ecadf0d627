"""The calendars app's parts of other apps' pages (kshare/core/pages.py)."""

from __future__ import annotations

from kshare.calendars.views_slots import slot_finder_context
from kshare.core.pages import part_register


def register() -> None:
    # The session page: star it, "Add to calendar" (its own template tag reads the star).
    part_register(
        region="session.aside",
        name="calendars.session",
        template="calendars/_session_calendar.html",
    )
    # The schedule page: the slot finder under the form.
    part_register(
        region="session.schedule",
        name="calendars.slot_finder",
        template="calendars/_slot_finder.html",
        context=slot_finder_context,
    )

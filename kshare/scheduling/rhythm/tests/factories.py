from datetime import date, time

from kshare.scheduling.rhythm.models import RhythmEvent
from kshare.scheduling.rhythm.services import rhythm_event_create


def rhythm_event(
    *,
    name: str = "Weekly Huddle",
    rrule: str = "FREQ=WEEKLY;BYDAY=MO",
    start_date: date = date(2026, 3, 2),
    start_time: time = time(9, 30),
    timezone: str = "Europe/Amsterdam",
    duration_minutes: int = 30,
    **kwargs,
) -> RhythmEvent:
    """A rhythm event made through the service, as organisers make them."""
    return rhythm_event_create(
        by=None,
        name=name,
        rrule=rrule,
        start_date=start_date,
        start_time=start_time,
        timezone=timezone,
        duration_minutes=duration_minutes,
        **kwargs,
    )

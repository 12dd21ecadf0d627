"""Test helper: an installation timezone in which a moment some hours from now is morning."""

from datetime import UTC, datetime, timedelta


def daytime_zone(hours_ahead: float) -> str:
    """A fixed-offset zone (``Etc/GMT±N``) in which ``hours_ahead`` hours from now is about
    10 o'clock, so that sessions starting then end on the day they start whatever the time of
    day the test runs at (a session may not run past midnight in the installation's zone)."""
    hour = (datetime.now(UTC) + timedelta(hours=hours_ahead)).hour
    offset = (10 - hour) % 24  # hours to add to UTC to make it 10 o'clock
    if offset > 12:
        offset -= 24
    # POSIX-style names: Etc/GMT-3 is three hours *ahead* of UTC.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def days_ahead_at(days: int, hour: int = 10) -> datetime:
    """``days`` days from today at ``hour`` o'clock in the installation's zone: a start from which
    a session of any format ends on the day it starts, whatever the time of day the test runs
    at (``now() + timedelta(days=…)`` at 23:30 makes a 45-minute talk cross midnight)."""
    from django.utils import timezone

    today = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    return (today + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)

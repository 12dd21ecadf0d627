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

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kshare.core.tests.daytime import daytime_zone


def test_daytime_zone_puts_the_moment_in_the_morning():
    for hours_ahead in (0, 1, 2, 5.5, 13, 20, 23, 47):
        zone = ZoneInfo(daytime_zone(hours_ahead))
        local = (datetime.now(UTC) + timedelta(hours=hours_ahead)).astimezone(zone)
        assert local.hour in {9, 10, 11}  # 9/11: the hour turned between the two readings

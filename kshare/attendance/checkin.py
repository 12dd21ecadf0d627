"""The check-in window, shared with live questions: from CHECKIN_OPENS_BEFORE before a session's
start to its end."""

from __future__ import annotations

from datetime import timedelta

CHECKIN_OPENS_BEFORE = timedelta(minutes=15)

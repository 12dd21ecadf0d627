"""The attendance app's parts of other apps' pages (kshare/core/pages.py)."""

from __future__ import annotations

from kshare.attendance.views_checkin import checkin_context, join_context
from kshare.attendance.views_log import attendance_log_context
from kshare.core.pages import part_register


def register() -> None:
    # The session page: "I'm here" / the check-in page link, and the hosts' attendance log link.
    part_register(
        region="session.aside.top",
        name="attendance.checkin",
        template="attendance/_session_checkin.html",
        context=checkin_context,
    )
    # The session page's "Where": the join link, through /sessions/<id>/join/ (checks in).
    part_register(
        region="session.where",
        name="attendance.join",
        template="attendance/_session_join.html",
        context=join_context,
    )
    part_register(
        region="session.hosts",
        name="attendance.log",
        template="attendance/_session_log.html",
        context=attendance_log_context,
    )

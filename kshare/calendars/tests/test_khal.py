"""A real calendar client imports a personal feed: khal 0.14 (in its own virtualenv, because it
needs icalendar<8; `make test` installs it into .cache/khal and passes KSHARE_KHAL)."""

import os
import shutil
import subprocess
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from kshare.calendars.tests.feed_support import feed_of, local, weekly_huddle
from kshare.sessions.models import Star, State
from kshare.sessions.tests.factories import InvitationFactory, ScheduledSessionFactory

pytestmark = pytest.mark.django_db

KHAL_CONFIG = """\
[calendars]
[[kshare]]
path = {vdir}
type = calendar

[locale]
local_timezone = {tz}
default_timezone = {tz}
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M

[default]
default_calendar = kshare

[view]
agenda_event_format = {{cancelled}}{{start-end-time-style}} {{title}}{{repeat-symbol}}

[sqlite]
path = {db}
"""


def _khal() -> str:
    # `make test` installs khal into .cache/khal and passes KSHARE_KHAL; a plain `pytest` run
    # finds that same installation.
    local = Path(__file__).resolve().parents[3] / ".cache" / "khal" / "bin" / "khal"
    path = (
        os.environ.get("KSHARE_KHAL")
        or shutil.which("khal")
        or (str(local) if local.exists() else None)
    )
    if not path or not os.access(path, os.X_OK):
        given = os.environ.get("KSHARE_KHAL", "")
        pytest.fail(
            "This test imports a feed into the khal calendar client, which is not installed "
            f"(KSHARE_KHAL={given!r}, no khal on PATH). Run `make test`: it installs khal 0.14 "
            "into .cache/khal and passes KSHARE_KHAL to pytest."
        )
    return path


def _run(khal: str, config, *args: str, home) -> str:
    # The binary comes from the test environment (KSHARE_KHAL or PATH), the arguments from us.
    result = subprocess.run(  # noqa: S603
        [khal, "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LC_ALL": "C.UTF-8", "HOME": str(home), "TZ": "UTC"},
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def _expected(items, tz_name: str) -> str:
    """What `khal list` prints for (start, end, title, cancelled, recurring) in ``tz_name``:
    a heading per day, one line per event; an event over two days shows as "HH:MM→" on the
    first and "→HH:MM" on the second."""
    tz = zoneinfo.ZoneInfo(tz_name)
    days: dict[date, list[tuple[datetime, str]]] = {}
    for start, end, title, cancelled, recurring in items:
        start, end = start.astimezone(tz), end.astimezone(tz)
        prefix = "CANCELLED " if cancelled else ""
        suffix = " ⟳" if recurring else ""
        if start.date() == end.date():
            line = f"{prefix}{start:%H:%M}-{end:%H:%M} {title}{suffix}"
            days.setdefault(start.date(), []).append((start, line))
        else:
            assert end.date() - start.date() == timedelta(days=1)
            days.setdefault(start.date(), []).append((start, f"{prefix}{start:%H:%M}→ {title}"))
            days.setdefault(end.date(), []).append((start, f"{prefix}→{end:%H:%M} {title}"))
    lines = []
    for day in sorted(days):
        lines.append(f"{day:%A}, {day:%Y-%m-%d}")
        lines.extend(line for _, line in sorted(days[day]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("tz_name", ["Europe/Amsterdam", "America/New_York"])
def test_khal_imports_the_personal_feed(client, person, tmp_path, tz_name):
    khal = _khal()
    # A Monday at least a week ahead, so every session is inside the feed's window.
    today = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Amsterdam")).date()
    monday = today + timedelta(days=7 + (7 - today.weekday()) % 7)
    ams = "Europe/Amsterdam"
    talk = ScheduledSessionFactory(
        title="Intro to SQL",
        host=person,
        start=local(ams, monday, 14),
        end=local(ams, monday, 14, 45),
    )
    workshop = ScheduledSessionFactory(
        title="Two-day workshop",
        start=local(ams, monday + timedelta(days=1), 9),
        end=local(ams, monday + timedelta(days=2), 17),
    )
    InvitationFactory(session=workshop, person=person, response="yes")
    cancelled = ScheduledSessionFactory(
        title="Cancelled talk",
        state=State.CANCELLED,
        sequence=1,
        start=local(ams, monday + timedelta(days=3), 10),
        end=local(ams, monday + timedelta(days=3), 11),
    )
    Star.objects.create(person=person, session=cancelled)
    weekly_huddle(
        tz_name=ams,
        first_monday=monday,
        cancelled=monday + timedelta(days=7),
        moved=(monday + timedelta(days=14), monday + timedelta(days=15), 11),
    )
    feed = feed_of(person, include_rhythm=True)
    response = client.get(reverse("calendars:person_feed", args=[feed.token]))
    assert response.status_code == 200
    ics = tmp_path / "feed.ics"
    ics.write_bytes(response.content)
    vdir = tmp_path / "calendar"
    vdir.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(KHAL_CONFIG.format(vdir=vdir, tz=tz_name, db=tmp_path / "khal.db"))

    _run(khal, config, "import", "--batch", str(ics), home=tmp_path)
    listed = _run(khal, config, "--no-color", "list", f"{monday:%Y-%m-%d}", "21d", home=tmp_path)

    huddle = local(ams, monday, 9, 30)
    moved = local(ams, monday + timedelta(days=15), 11)
    assert listed == _expected(
        [
            (talk.start, talk.end, "Intro to SQL", False, False),
            (workshop.start, workshop.end, "Two-day workshop", False, False),
            (cancelled.start, cancelled.end, "Cancelled talk", True, False),
            (huddle, huddle + timedelta(minutes=30), "Weekly Huddle", False, True),
            (moved, moved + timedelta(minutes=30), "Weekly Huddle", False, True),
        ],
        tz_name,
    )
    # khal stored one file per UID: three sessions and the huddle (series and its override).
    assert len(list(vdir.glob("*.ics"))) == 4
    assert datetime.now(UTC) < talk.start  # the feed window really held what khal listed


def test_khal_imports_an_invitation_with_its_organizer_and_chairs(
    tmp_path, django_capture_on_commit_callbacks, settings
):
    """The iMIP invitation (METHOD:REQUEST, ORGANIZER = the reply address, the host as a CHAIR
    attendee, the invitee asked) is a calendar khal imports, and it reads those properties."""
    from django.core import mail

    from kshare.calendars.tests.imip_mail import invitation_calendar
    from kshare.people.tests.factories import PersonFactory
    from kshare.sessions.invitations import invitations_create

    khal = _khal()
    settings.KSHARE_ORGANISATION_NAME = "Acme, Knowledge"
    settings.KSHARE_CALENDAR_REPLY_ADDRESS = "calendar@kshare.example.com"
    start = (timezone.now() + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    host = PersonFactory(email="hana@example.com", display_name="Hana Host")
    session = ScheduledSessionFactory(title="Intro; to, SQL", host=host, start=start)
    guest = PersonFactory(email="gus@example.com", display_name="Gus Guest")
    with django_capture_on_commit_callbacks(execute=True):
        invitations_create(session=session, by=host, people=[guest])
    ics = tmp_path / "invite.ics"
    ics.write_bytes(invitation_calendar(mail.outbox[0]).to_ical())
    vdir = tmp_path / "calendar"
    vdir.mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(KHAL_CONFIG.format(vdir=vdir, tz="UTC", db=tmp_path / "khal.db"))

    _run(khal, config, "import", "--batch", str(ics), home=tmp_path)
    listed = _run(
        khal,
        config,
        "--no-color",
        "list",
        "--format",
        "{start-end-time-style} {title} | {organizer} | {attendees}",
        "--day-format",
        "",
        f"{start:%Y-%m-%d}",
        "1d",
        home=tmp_path,
    )
    assert listed.strip().splitlines() == [
        f"{start:%H:%M}-{session.end:%H:%M} Intro; to, SQL | "
        "Acme, Knowledge (calendar@kshare.example.com) | hana@example.com, gus@example.com"
    ]

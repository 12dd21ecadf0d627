"""The weekly catch-up e-mail: Mondays from 08:00 local, once per ISO week, only with news."""

import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from kshare.core.ticks import periodic_tasks
from kshare.library.catchup import catchup_weekly_send
from kshare.library.models import CatchUpSubscription
from kshare.library.tasks import catchup_weekly_task
from kshare.library.tests.factories import MaterialFactory, RecordingMaterialFactory
from kshare.outbox.preferences import unsubscribe_link
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import InvitationFactory, PastSessionFactory
from kshare.tags.tests.factories import TagFactory
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, 09:30 in Berlin (CET), 03:30 in New York.
NOW = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"


def subscriber(email="mia@example.com", tz="Europe/Berlin", **kwargs):
    person = PersonFactory(email=email, display_name="Mia", timezone=tz)
    CatchUpSubscription.objects.create(person=person, weekly_email=True, **kwargs)
    return person


def missed(person, title, start, material_at=None, programme=None):
    programme = programme or ProgrammeFactory(name="Tech talks", slug="tech-talks")
    session = PastSessionFactory(title=title, start=start, programme=programme)
    InvitationFactory(session=session, person=person, response="no")
    MaterialFactory(session=session, created_at=material_at or start + timedelta(days=1))
    return session


def test_the_mail_lists_the_missed_sessions_with_reasons_materials_and_links():
    mia = subscriber()
    pandas = TagFactory(name="pandas")
    mia.interests.add(pandas)
    older = missed(mia, "Pandas <tricks>", datetime(2026, 11, 19, 14, 0, tzinfo=UTC))
    newer = PastSessionFactory(
        title="Polars", start=datetime(2026, 11, 24, 9, 0, tzinfo=UTC), programme=older.programme
    )
    newer.tags.add(pandas)
    RecordingMaterialFactory(session=newer)

    assert catchup_weekly_send(now=NOW) == 1

    [message] = mail.outbox
    unsubscribe = unsubscribe_link(person_id=mia.pk, category="catchup")
    assert message.to == ["mia@example.com"]
    assert message.subject == "Catch up: 2 sessions you missed now have material"
    assert message.body == (
        "Hello Mia,\n\n"
        "2 sessions you missed now have material: recordings, slides, notes or transcripts to "
        "catch up on.\n\n"
        "- “Polars” (Tech talks), Tuesday 24 November 2026, 10:00 (Europe/Berlin)\n"
        "  Matches your interest: pandas. Material: Recording\n"
        f"  {BASE}/sessions/{newer.pk}/#materials\n\n"
        "- “Pandas <tricks>” (Tech talks), Thursday 19 November 2026, 15:00 (Europe/Berlin)\n"
        "  You were invited. Material: Notes\n"
        f"  {BASE}/sessions/{older.pk}/#materials\n\n"
        f"Your catch-up feed: {BASE}/library/catch-up/\n\n"
        "You get this e-mail on Mondays because you switched on the weekly catch-up e-mail. "
        f"Switch it off on your catch-up page: {BASE}/library/catch-up/#weekly-email\n"
        "— kshare\n\n"
        "You get this mail because “Weekly catch-up” is on in your notification settings.\n"
        f"Turn off “Weekly catch-up”: {unsubscribe}\n"
        f"All your notification settings: {BASE}/people/me/notifications/\n"
    )
    html = message.alternatives[0][0]
    assert re.findall(r'href="([^"]+)"', html) == [
        f"{BASE}/sessions/{newer.pk}/#materials",
        f"{BASE}/sessions/{older.pk}/#materials",
        f"{BASE}/library/catch-up/",
        f"{BASE}/library/catch-up/#weekly-email",
        unsubscribe,
        f"{BASE}/people/me/notifications/",
    ]
    assert "Pandas &lt;tricks&gt;" in html
    assert CatchUpSubscription.objects.get(person=mia).last_sent_on == date(2026, 11, 30)


def test_at_most_ten_sessions_and_the_rest_counted():
    mia = subscriber()
    programme = ProgrammeFactory(name="Tech talks", slug="tech-talks")
    for day in range(12):
        missed(mia, f"Day {day}", NOW - timedelta(days=day + 1), programme=programme)

    assert catchup_weekly_send(now=NOW) == 1

    [message] = mail.outbox
    assert message.subject == "Catch up: 12 sessions you missed now have material"
    assert re.findall(r"^- “(Day \d+)”", message.body, re.M) == [f"Day {d}" for d in range(10)]
    assert "\n…and 2 more.\n" in message.body
    assert "<p>…and 2 more.</p>" in message.alternatives[0][0]


def test_once_per_week_and_then_only_what_is_new():
    mia = subscriber()
    missed(mia, "Old news", datetime(2026, 11, 19, 14, 0, tzinfo=UTC))

    assert catchup_weekly_send(now=NOW) == 1
    assert catchup_weekly_send(now=NOW + timedelta(hours=5)) == 0
    # Material added during the week, after Monday's mail:
    missed(
        mia,
        "Fresh",
        datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
        material_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    )
    assert catchup_weekly_send(now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC)) == 0  # Wednesday
    next_monday = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert catchup_weekly_send(now=next_monday - timedelta(minutes=1)) == 0
    assert catchup_weekly_send(now=next_monday) == 1
    assert catchup_weekly_send(now=next_monday + timedelta(hours=12)) == 0

    assert [m.subject for m in mail.outbox] == [
        "Catch up: 1 session you missed now has material",
        "Catch up: 1 session you missed now has material",
    ]
    assert "“Old news”" in mail.outbox[0].body
    assert "“Fresh”" in mail.outbox[1].body and "Old news" not in mail.outbox[1].body
    assert CatchUpSubscription.objects.get(person=mia).last_sent_on == date(2026, 12, 7)


def test_nothing_is_sent_without_news_and_the_week_counts_as_checked():
    mia = subscriber(last_sent_on=date(2026, 11, 23))
    # Its material came before last Monday's mail (08:00 Berlin = 07:00 UTC): not news.
    missed(
        mia,
        "Already mailed",
        datetime(2026, 11, 19, 14, 0, tzinfo=UTC),
        material_at=datetime(2026, 11, 23, 6, 59, tzinfo=UTC),
    )
    subscriber(email="empty@example.com")  # nothing in the feed at all

    assert catchup_weekly_send(now=NOW) == 0

    assert mail.outbox == []
    assert sorted(CatchUpSubscription.objects.values_list("last_sent_on", flat=True)) == [
        date(2026, 11, 30),
        date(2026, 11, 30),
    ]


def test_material_added_after_last_mondays_mail_is_news():
    mia = subscriber(last_sent_on=date(2026, 11, 23))
    missed(
        mia,
        "Just after",
        datetime(2026, 11, 19, 14, 0, tzinfo=UTC),
        material_at=datetime(2026, 11, 23, 7, 1, tzinfo=UTC),
    )
    assert catchup_weekly_send(now=NOW) == 1


def test_opted_out_or_deactivated_people_get_nothing():
    off = subscriber(email="off@example.com")
    CatchUpSubscription.objects.filter(person=off).update(weekly_email=False)
    gone = subscriber(email="gone@example.com")
    gone.is_active = False
    gone.save()
    never = PersonFactory(email="never@example.com")  # no subscription row at all
    for person in (off, gone, never):
        missed(person, "Pandas", datetime(2026, 11, 19, 14, 0, tzinfo=UTC))

    assert catchup_weekly_send(now=NOW) == 0

    assert mail.outbox == []
    assert list(CatchUpSubscription.objects.values_list("last_sent_on", flat=True)) == [
        None,
        None,
    ]


def test_mondays_from_8_in_each_persons_timezone():
    start = datetime(2026, 11, 19, 14, 0, tzinfo=UTC)
    for email, tz in [
        ("berlin@example.com", "Europe/Berlin"),
        ("ny@example.com", "America/New_York"),
        ("tokyo@example.com", "Asia/Tokyo"),
        ("nowhere@example.com", "Mars/Olympus"),  # unknown: UTC
    ]:
        missed(subscriber(email=email, tz=tz), "Pandas", start)

    def sent_at(when):
        before = len(mail.outbox)
        catchup_weekly_send(now=when)
        return sorted(m.to[0] for m in mail.outbox[before:])

    # Sunday 22:59 UTC: Monday 07:59 in Tokyo.
    assert sent_at(datetime(2026, 11, 29, 22, 59, tzinfo=UTC)) == []
    assert sent_at(datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == ["tokyo@example.com"]
    assert sent_at(datetime(2026, 11, 30, 7, 0, tzinfo=UTC)) == ["berlin@example.com"]
    assert sent_at(datetime(2026, 11, 30, 8, 0, tzinfo=UTC)) == ["nowhere@example.com"]
    assert sent_at(datetime(2026, 11, 30, 12, 59, tzinfo=UTC)) == []
    assert sent_at(datetime(2026, 11, 30, 13, 0, tzinfo=UTC)) == ["ny@example.com"]
    assert sent_at(datetime(2026, 12, 1, 4, 59, tzinfo=UTC)) == []  # Monday 23:59 in NY
    assert sent_at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == []  # Tuesday everywhere


def test_a_missed_monday_is_skipped_not_sent_late():
    mia = subscriber()
    missed(mia, "Pandas", datetime(2026, 11, 19, 14, 0, tzinfo=UTC))
    assert catchup_weekly_send(now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC)) == 0  # Tuesday
    assert catchup_weekly_send(now=datetime(2026, 12, 7, 8, 0, tzinfo=UTC)) == 1  # next Monday


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_one_mail_per_person():
    start = datetime(2026, 11, 19, 14, 0, tzinfo=UTC)
    for email in ("mia@example.com", "max@example.com", "mo@example.com"):
        missed(subscriber(email=email), "Pandas", start)

    errors = race(lambda i: catchup_weekly_send(now=NOW), threads=4)

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == [
        "max@example.com",
        "mia@example.com",
        "mo@example.com",
    ]
    assert set(CatchUpSubscription.objects.values_list("last_sent_on", flat=True)) == {
        date(2026, 11, 30)
    }


def test_the_clock_runs_the_task():
    assert "kshare.library.tasks.catchup_weekly_task" in periodic_tasks()
    assert catchup_weekly_task.enqueue().return_value == 0


def test_the_command_runs_the_send_or_queues_it():
    out = StringIO()
    call_command("catchup_weekly", stdout=out)
    assert out.getvalue() == "Weekly catch-up e-mails: 0 sent.\n"
    out = StringIO()
    call_command("catchup_weekly", "--enqueue", stdout=out)
    assert out.getvalue().startswith("Queued the weekly catch-up e-mails (task ")

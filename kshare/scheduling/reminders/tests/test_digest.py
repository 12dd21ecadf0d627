"""The organiser digest: sessions that ended but were neither marked held nor cancelled."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kshare.outbox.tests.helpers import notification_footer
from kshare.people.models import Person
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.models import OrganiserDigest
from kshare.scheduling.reminders.services import digests_send
from kshare.sessions.models import State
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db

# 09:30 in Berlin (CET, winter), 03:30 in New York.
NOW = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


def unclosed(programme, title, hours_ago=26, state=State.SCHEDULED):
    start = NOW - timedelta(hours=hours_ago)
    return ScheduledSessionFactory(
        programme=programme,
        title=title,
        state=state,
        start=start,
        end=start + timedelta(minutes=45),
    )


@pytest.fixture
def tech():
    olga = OrganiserFactory(email="olga@example.com", display_name="Olga", timezone="Europe/Berlin")
    programme = ProgrammeFactory(name="Tech talks", slug="tech-talks")
    programme.organisers.add(olga)
    return programme


def test_one_mail_per_organiser_lists_the_unclosed_sessions_with_links(tech):
    older = unclosed(tech, "Pandas tricks", hours_ago=50)
    newer = unclosed(tech, "Rust for <Pythonistas>", hours_ago=26)
    unclosed(tech, "Held one", state=State.HELD)
    unclosed(tech, "Cancelled one", state=State.CANCELLED)
    unclosed(tech, "Still running", hours_ago=0.5)  # ends in 15 minutes
    ScheduledSessionFactory(programme=tech, start=NOW + timedelta(days=3))

    assert digests_send(now=NOW) == 1

    [message] = mail.outbox
    assert message.to == ["olga@example.com"]
    assert message.subject == "2 sessions to close: held or cancelled?"
    base = "http://127.0.0.1:8000/sessions"
    assert message.body == (
        "Hello Olga,\n\n"
        "These 2 sessions have ended but are still marked as scheduled. Please mark each as "
        "held (on the session page) or cancel it, so the programme's history and statistics "
        "stay right.\n\n"
        "- “Pandas tricks” (Tech talks), Tuesday 24 November 2026, 07:30\u201308:15 "
        "(Europe/Berlin)\n"
        f"  Mark as held: {base}/{older.pk}/\n"
        f"  Cancel: {base}/{older.pk}/cancel/\n\n"
        "- “Rust for <Pythonistas>” (Tech talks), Wednesday 25 November 2026, "
        "07:30\u201308:15 (Europe/Berlin)\n"
        f"  Mark as held: {base}/{newer.pk}/\n"
        f"  Cancel: {base}/{newer.pk}/cancel/\n\n"
        "You get this daily digest as an organiser, on days when sessions are left to close.\n"
        "— kshare"
        + notification_footer(
            person_id=Person.objects.get(email="olga@example.com").pk, category="digests"
        )
    )
    html = message.alternatives[0][0]
    assert re.findall(r'href="([^"]+)"', html)[:4] == [
        f"{base}/{older.pk}/",
        f"{base}/{older.pk}/cancel/",
        f"{base}/{newer.pk}/",
        f"{base}/{newer.pk}/cancel/",
    ]
    assert "Rust for &lt;Pythonistas&gt;" in html
    assert list(OrganiserDigest.objects.values_list("person__email", "day", "sessions")) == [
        ("olga@example.com", date(2026, 11, 26), 2)
    ]


def test_once_per_organiser_per_local_day(tech):
    unclosed(tech, "Pandas tricks")

    assert digests_send(now=NOW) == 1
    assert digests_send(now=NOW + timedelta(hours=5)) == 0
    # Midnight in Berlin is 23:00 UTC in winter: a new day, so a new digest (from 08:00).
    assert digests_send(now=datetime(2026, 11, 27, 6, 59, tzinfo=UTC)) == 0
    assert digests_send(now=datetime(2026, 11, 27, 7, 0, tzinfo=UTC)) == 1

    assert [m.to for m in mail.outbox] == [["olga@example.com"]] * 2


def test_the_digest_waits_for_8_in_the_organisers_timezone(tech):
    nick = OrganiserFactory(email="nick@example.com", timezone="America/New_York")
    tech.organisers.add(nick)
    unclosed(tech, "Pandas tricks")

    assert digests_send(now=NOW) == 1  # 09:30 in Berlin, 03:30 in New York
    assert digests_send(now=datetime(2026, 11, 26, 12, 59, tzinfo=UTC)) == 0
    assert digests_send(now=datetime(2026, 11, 26, 13, 0, tzinfo=UTC)) == 1  # 08:00 in NY

    assert [m.to for m in mail.outbox] == [["olga@example.com"], ["nick@example.com"]]


def test_no_mail_without_unclosed_sessions(tech):
    unclosed(tech, "Held", state=State.HELD)

    assert digests_send(now=NOW) == 0

    assert mail.outbox == []
    assert OrganiserDigest.objects.count() == 0


def test_each_organiser_hears_about_their_own_programmes_and_admins_about_orphans(tech):
    AdminFactory(email="ada@example.com", timezone="UTC")
    AdminFactory(email="retired@example.com", is_active=False)
    orphan = ProgrammeFactory(name="Book club", slug="book-club")
    member = PersonFactory(email="mo@example.com")  # listed, but a member cannot act
    orphan.organisers.add(member)
    unclosed(tech, "Pandas tricks")
    unclosed(orphan, "Dune")

    assert digests_send(now=NOW) == 2

    digests = {m.to[0]: m for m in mail.outbox}
    assert sorted(digests) == ["ada@example.com", "olga@example.com"]
    assert digests["olga@example.com"].subject == "1 session to close: held or cancelled?"
    assert "“Pandas tricks”" in digests["olga@example.com"].body
    assert "“Dune”" not in digests["olga@example.com"].body
    assert (
        "“Dune” (Book club), Wednesday 25 November 2026, 06:30" in digests["ada@example.com"].body
    )
    assert "Pandas" not in digests["ada@example.com"].body


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_one_digest_per_organiser():
    olga = OrganiserFactory(email="olga@example.com", timezone="Europe/Berlin")
    programme = ProgrammeFactory(name="Tech talks", slug="tech-talks")
    programme.organisers.add(olga, OrganiserFactory(email="otto@example.com", timezone="UTC"))
    unclosed(programme, "Pandas tricks")

    errors = race(lambda i: digests_send(now=NOW), threads=4)

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == ["olga@example.com", "otto@example.com"]
    assert OrganiserDigest.objects.count() == 2


def test_a_tick_after_the_digests_went_out_costs_the_same_queries_for_2_or_6_organisers(
    django_assert_num_queries,
):
    def programme_with(n, slug):
        programme = ProgrammeFactory(name=slug, slug=slug)
        programme.organisers.add(*(OrganiserFactory(timezone="Asia/Tokyo") for _ in range(n)))
        unclosed(programme, f"{slug} session")
        return programme

    programme_with(2, "small")
    assert digests_send(now=NOW) == 2
    with CaptureQueriesContext(connection) as ctx:
        assert digests_send(now=NOW) == 0
    programme_with(4, "big")
    assert digests_send(now=NOW) == 4

    with django_assert_num_queries(len(ctx.captured_queries)):
        assert digests_send(now=NOW) == 0

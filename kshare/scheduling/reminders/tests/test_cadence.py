"""The cadence nudge: organisers hear once per open slot in the next four weeks."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kshare.core.ticks import periodic_tasks
from kshare.feedback.models import ProspectiveHost
from kshare.outbox.models import OutboxMessage
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.cadence import cadence_nudge_task, cadence_nudges_send
from kshare.scheduling.reminders.models import CadenceNudge
from kshare.sessions.models import State
from kshare.sessions.tests.factories import SessionFactory
from kshare.topics.models import TopicRequest, TopicVote
from kshare.web.tests.race import race

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
NOW = datetime(2030, 3, 1, 8, tzinfo=UTC)  # a Friday


def _programme(**fields):
    """Every second Thursday 16:00 Amsterdam: 7 and 21 March 2030 are in the next 28 days."""
    programme = ProgrammeFactory(
        name="Data Guild",
        slug="data-guild",
        cadence_rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        cadence_starts=datetime(2030, 1, 10, 16, tzinfo=AMS),
        cadence_timezone="Europe/Amsterdam",
        **fields,
    )
    return programme


@pytest.fixture
def programme(db):
    programme = _programme()
    programme.organisers.add(
        OrganiserFactory(
            email="olga@example.com", display_name="Olga", timezone="America/New_York"
        ),
        OrganiserFactory(email="omar@example.com", display_name="Omar", timezone="Asia/Tokyo"),
        OrganiserFactory(email="gone@example.com", is_active=False),
    )
    return programme


@pytest.mark.django_db
def test_organisers_are_nudged_about_open_slots_once(programme):
    ProspectiveHost.objects.create(
        programme=programme,
        person=PersonFactory(display_name="Hannah Host", email="hannah@example.com"),
        answer="yes",
        topics="dbt in practice",
    )
    wanted = TopicRequest.objects.create(title="Intro to dbt", requester=PersonFactory())
    TopicVote.objects.create(request=wanted, person=PersonFactory())
    TopicVote.objects.create(request=wanted, person=PersonFactory())

    result = cadence_nudges_send(now=NOW)

    assert (result.programmes, result.slots, result.mails) == (1, 2, 2)
    assert sorted(m.to[0] for m in mail.outbox) == ["olga@example.com", "omar@example.com"]
    olga = next(m for m in mail.outbox if m.to == ["olga@example.com"])
    assert olga.subject == "Data Guild: 2 open slots in the next four weeks"
    # In Olga's timezone: 16:00 Amsterdam is 10:00 in New York on winter time, and 11:00 on
    # 21 March, when New York is on summer time already (10 March) and Amsterdam not yet.
    assert "- Thursday 7 March 2030, 10:00 to 10:45\n- Thursday 21 March 2030, 11:00 to 11:45" in (
        olga.body
    )
    assert "- Hannah Host <hannah@example.com> (new): dbt in practice" in olga.body
    assert "- Intro to dbt (2 +1s): http" in olga.body
    assert "/programmes/data-guild/" in olga.body
    html = olga.alternatives[0][0]
    assert "<li>Thursday 7 March 2030, 10:00 to 10:45</li>" in html
    omar = next(m for m in mail.outbox if m.to == ["omar@example.com"])
    assert "Friday 8 March 2030, 00:00 to 00:45" in omar.body  # Tokyo
    assert OutboxMessage.objects.filter(kind="cadence_nudge").count() == 2
    assert sorted(CadenceNudge.objects.values_list("slot_start", flat=True)) == [
        datetime(2030, 3, 7, 15, tzinfo=UTC),
        datetime(2030, 3, 21, 15, tzinfo=UTC),
    ]

    mail.outbox.clear()
    assert cadence_nudges_send(now=NOW + timedelta(hours=6)).mails == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_slot_with_a_session_is_not_nudged_and_new_slots_are_as_time_goes_by(programme):
    SessionFactory(
        programme=programme,
        state=State.SCHEDULED,
        start=datetime(2030, 3, 7, 16, tzinfo=AMS),
        end=datetime(2030, 3, 7, 17, tzinfo=AMS),
    )
    assert cadence_nudges_send(now=NOW).slots == 1
    assert "Thursday 21 March 2030" in mail.outbox[0].body
    assert "7 March" not in mail.outbox[0].body
    mail.outbox.clear()
    # Two weeks later 4 April comes within four weeks: only that one is new.
    result = cadence_nudges_send(now=NOW + timedelta(days=14))
    assert result.slots == 1
    assert mail.outbox[0].subject == "Data Guild: 1 open slot in the next four weeks"
    assert "Thursday 4 April 2030, 10:00 to 10:45" in mail.outbox[0].body  # both on summer time


@pytest.mark.django_db
def test_without_organisers_nothing_is_claimed_until_one_comes(db):
    programme = _programme()
    assert cadence_nudges_send(now=NOW).mails == 0
    assert CadenceNudge.objects.count() == 0
    programme.organisers.add(OrganiserFactory(email="new@example.com"))
    assert cadence_nudges_send(now=NOW).mails == 1
    assert mail.outbox[0].to == ["new@example.com"]


@pytest.mark.django_db
def test_programmes_without_cadence_or_without_open_slots_stay_quiet(db):
    ProgrammeFactory().organisers.add(OrganiserFactory())
    assert cadence_nudges_send(now=NOW).mails == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_nudge_task_runs_from_the_clock(db):
    assert "kshare.scheduling.reminders.cadence.cadence_nudge_task" in periodic_tasks()
    programme = ProgrammeFactory(
        cadence_rrule="FREQ=WEEKLY",
        cadence_starts=timezone.now() + timedelta(days=1),
        cadence_timezone="UTC",
    )
    programme.organisers.add(OrganiserFactory(), OrganiserFactory())
    result = cadence_nudge_task.enqueue()
    assert result.return_value == {"programmes": 1, "slots": 4, "mails": 2}
    assert len(mail.outbox) == 2
    assert cadence_nudge_task.enqueue().return_value == {"programmes": 0, "slots": 0, "mails": 0}


@pytest.mark.django_db(transaction=True)
def test_two_workers_nudge_a_slot_once():
    programme = _programme()
    programme.organisers.add(OrganiserFactory(email="olga@example.com"))
    errors = race(lambda i: cadence_nudges_send(now=NOW), threads=3)
    assert errors == []
    assert CadenceNudge.objects.count() == 2
    assert [m.to for m in mail.outbox] == [["olga@example.com"]]
    assert OutboxMessage.objects.filter(kind="cadence_nudge").count() == 1

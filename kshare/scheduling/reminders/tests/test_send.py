"""Sending reminders: who gets what, when not, mail content, never twice."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.outbox.models import OutboxMessage
from kshare.outbox.tests.helpers import notification_footer
from kshare.people.models import Person
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.models import Reminder
from kshare.scheduling.reminders.services import reminders_send_due, reminders_tick
from kshare.scheduling.reminders.tasks import reminders_tick_task
from kshare.scheduling.rhythm.models import ClosureDay
from kshare.sessions.models import Invitation, Session, SessionHost, State
from kshare.sessions.rsvp_tokens import rsvp_token_read
from kshare.sessions.services import session_schedule
from kshare.sessions.tests.factories import InvitationFactory, SessionFactory
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:30 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


@pytest.fixture(autouse=True)
def _no_closure_days():
    """These tests time reminders from "now"; without this they would change around Christmas
    (the default closure days). Days off are tested in test_days_off.py."""
    ClosureDay.objects.all().delete()


DAY = 24 * 60


def only(kind, **settings):
    """A programme with reminders of one kind only, so a test sees that kind's mails alone."""
    off = {"host_reminder_days": "", "invitee_reminder_hours": "", "nudge_days": 0}
    on = {"host_prep": {"host_reminder_days": "7,1"}, "invitee": {"invitee_reminder_hours": "24,1"}}
    return ProgrammeFactory(
        name="Tech talks", slug="tech-talks", **{**off, **on.get(kind, {}), **settings}
    )


def upcoming(*, start=None, minutes=45, programme=None, host=None, title="Pandas tricks"):
    """A session scheduled through the service (so its reminders are planned)."""
    host = host or (
        Person.objects.filter(email="hal@example.com").first()
        or PersonFactory(email="hal@example.com", display_name="Hal Host")
    )
    programme = programme or ProgrammeFactory(name="Tech talks", slug="tech-talks")
    session = SessionFactory(title=title, host=host, programme=programme)
    start = start or (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    return session_schedule(
        session=session, start=start, end=start + timedelta(minutes=minutes), by=host
    ).session


def due(session, kind, minutes):
    return Reminder.objects.get(session=session, kind=kind, offset_minutes=minutes)


def at(session, kind, minutes, late=timedelta(minutes=1)):
    """The moment a reminder is ``late`` past its due time."""
    return due(session, kind, minutes).due_at + late


# The hosts' own calendar mails on (re)scheduling (kshare/sessions/tests/test_host_loop.py).
HOST_MAIL = re.compile(r"^(Scheduled: your session|New time for your session) ")


def sent_to():
    """Who got a reminder (the hosts' calendar mails of scheduling are another subject)."""
    return sorted(m.to[0] for m in mail.outbox if not HOST_MAIL.match(m.subject))


def invite(session, email, response, **kwargs):
    person = PersonFactory(email=email, display_name=email.split("@")[0].title(), **kwargs)
    return InvitationFactory(session=session, person=person, response=response)


# --- recipients ---------------------------------------------------------------------------


def test_host_preparation_reminders_go_to_the_hosts_and_cohosts_only():
    session = upcoming(programme=only("host_prep"))
    SessionHost.objects.create(
        session=session, person=PersonFactory(email="cora@example.com"), role="cohost"
    )
    SessionHost.objects.create(
        session=session,
        person=PersonFactory(email="gone@example.com", is_active=False),
        role="cohost",
    )
    invite(session, "ivy@example.com", "yes")
    now = at(session, "host_prep", 7 * DAY)

    assert reminders_send_due(now=now) == 1

    assert sent_to() == ["cora@example.com", "hal@example.com"]
    assert [m.subject for m in mail.outbox] == [
        "Your session “Pandas tricks” is in 7 days: time to prepare"
    ] * 2
    reminder = due(session, "host_prep", 7 * DAY)
    assert (reminder.sent_at, reminder.recipients) == (now, 2)
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["reminder_host_prep"] * 2


def test_invitee_reminders_go_to_yes_and_maybe_not_to_no_pending_hosts_or_inactive():
    session = upcoming(programme=only("invitee"))
    invite(session, "yes@example.com", "yes")
    invite(session, "maybe@example.com", "maybe")
    invite(session, "no@example.com", "no")
    invite(session, "pending@example.com", "pending")
    invite(session, "gone@example.com", "yes", is_active=False)
    InvitationFactory(session=session, person=session.host_links.get().person, response="yes")

    assert reminders_send_due(now=at(session, "invitee", 24 * 60)) == 1

    assert sent_to() == ["maybe@example.com", "yes@example.com"]
    assert mail.outbox[0].subject == "Reminder: “Pandas tricks” starts in 24 hours"
    assert set(OutboxMessage.objects.values_list("kind", flat=True)) == {"reminder_invitee"}
    assert due(session, "invitee", 24 * 60).recipients == 2


def test_a_waitlisted_yes_gets_the_reminder_with_a_note():
    session = upcoming(programme=only("invitee"))
    seated = invite(session, "seated@example.com", "yes")
    waiting = invite(session, "waiting@example.com", "yes")
    waiting.waitlisted_at = timezone.now()
    waiting.save()
    note = "You are on the waiting list: there is no seat for you yet."

    reminders_send_due(now=at(session, "invitee", 60))

    by_person = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_person) == [seated.person.email, waiting.person.email]
    assert note in by_person["waiting@example.com"].body
    assert note in by_person["waiting@example.com"].alternatives[0][0]
    assert note not in by_person["seated@example.com"].body


def test_the_nudge_goes_only_to_invitees_who_have_not_answered():
    session = upcoming(programme=only("nudge", nudge_days=5))
    invite(session, "pending@example.com", "pending")
    invite(session, "late@example.com", "pending")
    for answer in ("yes", "no", "maybe"):
        invite(session, f"{answer}@example.com", answer)
    now = at(session, "nudge", 5 * DAY)
    # Answering before the nudge is due takes someone off it: recipients are decided at send time.
    Invitation.objects.filter(person__email="late@example.com").update(response="no")

    assert reminders_send_due(now=now) == 1

    assert sent_to() == ["pending@example.com"]
    assert mail.outbox[0].subject == "Will you come to “Pandas tricks”? Please answer"
    assert OutboxMessage.objects.get().kind == "reminder_nudge"


def test_the_nudge_has_one_click_answer_links_that_open_without_signing_in(client):
    session = upcoming(programme=only("nudge", nudge_days=5))
    invitation = invite(session, "pending@example.com", "pending")

    reminders_send_due(now=at(session, "nudge", 5 * DAY))

    [message] = mail.outbox
    expected = [(invitation.pk, "yes"), (invitation.pk, "maybe"), (invitation.pk, "no")]
    assert rsvp_links(message.body) == expected
    assert rsvp_links(message.alternatives[0][0]) == expected
    link = re.search(RSVP, message.body).group(0)
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_a_nudge_with_nobody_pending_is_marked_sent_to_nobody():
    session = upcoming(programme=only("nudge", nudge_days=5))
    invite(session, "yes@example.com", "yes")
    now = at(session, "nudge", 5 * DAY)

    assert reminders_send_due(now=now) == 1

    assert mail.outbox == []
    reminder = due(session, "nudge", 5 * DAY)
    assert (reminder.sent_at, reminder.recipients) == (now, 0)


def test_only_due_reminders_go_out():
    session = upcoming(programme=only("nudge", nudge_days=5))
    invite(session, "pending@example.com", "pending")
    nudge_due = due(session, "nudge", 5 * DAY).due_at

    assert reminders_send_due(now=nudge_due - timedelta(seconds=1)) == 0
    assert mail.outbox == []
    assert reminders_send_due(now=nudge_due) == 1
    assert sent_to() == ["pending@example.com"]


# --- never twice, never late --------------------------------------------------------------


def test_sending_twice_mails_each_reminder_once():
    session = upcoming(programme=only("invitee"))
    invite(session, "yes@example.com", "yes")
    now = at(session, "invitee", 24 * 60)

    assert reminders_send_due(now=now) == 1
    assert reminders_send_due(now=now) == 0
    assert reminders_send_due(now=now + timedelta(minutes=5)) == 0

    assert sent_to() == ["yes@example.com"]


def test_no_reminder_for_a_cancelled_held_or_started_session_and_the_tick_drops_them():
    cancelled, held, started = (upcoming(title=f"S{i}") for i in range(3))
    for session in (cancelled, held, started):
        invite(session, f"ivy{session.pk}@example.com", "yes")
    now = at(cancelled, "invitee", 60)
    # Cancelled and held by a direct update: the services would also drop the pending rows.
    cancelled.__class__.objects.filter(pk=cancelled.pk).update(state=State.CANCELLED)
    held.__class__.objects.filter(pk=held.pk).update(state=State.HELD)
    started.__class__.objects.filter(pk=started.pk).update(start=now - timedelta(minutes=1))

    assert reminders_send_due(now=now) == 0
    tick = reminders_tick(now=now)

    assert mail.outbox == []
    assert tick.sent == 0
    assert tick.dropped == 15  # five due reminders each
    assert Reminder.objects.count() == 0


def test_after_a_long_outage_only_the_reminder_still_useful_goes_out():
    session = upcoming()
    invite(session, "yes@example.com", "yes")
    invite(session, "pending@example.com", "pending")
    assert session.start is not None
    # The worker was down for days: every reminder is due, 50 minutes before the start.
    now = session.start - timedelta(minutes=50)

    assert reminders_send_due(now=now) == 1

    assert sent_to() == ["yes@example.com"]
    assert mail.outbox[0].subject == "Reminder: “Pandas tricks” starts in 1 hour"
    # The late ones are gone (a reschedule would plan them again); the 1-hour one was sent.
    assert list(Reminder.objects.values_list("kind", "offset_minutes", "sent_at")) == [
        ("invitee", 60, now)
    ]


def test_a_reminder_overtaken_by_a_later_one_of_its_kind_is_dropped():
    session = upcoming(programme=ProgrammeFactory(invitee_reminder_hours="48,36", nudge_days=0))
    invite(session, "yes@example.com", "yes")
    assert session.start is not None
    # 48 hours: 13 hours late (under half its lead time); 36 hours: due as well.
    now = session.start - timedelta(hours=35)

    assert reminders_send_due(now=now) == 1

    assert [m.subject for m in mail.outbox] == ["Reminder: “Pandas tricks” starts in 36 hours"]
    assert not Reminder.objects.filter(kind="invitee", offset_minutes=48 * 60).exists()


def test_a_pending_reminder_the_programme_no_longer_asks_for_is_dropped_not_sent():
    programme = only("nudge", nudge_days=5)
    session = upcoming(programme=programme)
    invite(session, "pending@example.com", "pending")
    now = at(session, "nudge", 5 * DAY)
    programme.nudge_days = 0
    programme.save()

    assert reminders_send_due(now=now) == 0

    assert mail.outbox == []
    assert not Reminder.objects.filter(kind="nudge").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("threads", [2, 4])
def test_racing_workers_mail_each_reminder_exactly_once(threads):
    sessions = [
        upcoming(title=f"Race {i}", host=PersonFactory(), programme=only("invitee"))
        for i in range(3)
    ]
    expected = []
    for session in sessions:
        for n in range(3):
            expected.append(invite(session, f"ivy{session.pk}-{n}@example.com", "yes").person.email)
    # All three sessions start at about the same time: their 24-hour reminders are due.
    now = max(at(s, "invitee", 24 * 60) for s in sessions)

    errors = race(lambda i: reminders_send_due(now=now), threads=threads)

    assert errors == []
    assert sent_to() == sorted(expected)
    reminders = OutboxMessage.objects.filter(kind="reminder_invitee")
    assert sorted(reminders.values_list("to", flat=True)) == sorted([e] for e in expected)
    assert (
        list(
            Reminder.objects.filter(kind="invitee", offset_minutes=24 * 60).values_list(
                "sent_at", "recipients"
            )
        )
        == [(now, 3)] * 3
    )


@pytest.mark.django_db(transaction=True)
def test_a_reschedule_racing_the_workers_neither_doubles_nor_loses_a_reminder():
    session = upcoming(programme=only("invitee"))
    people = [invite(session, f"ivy{n}@example.com", "yes").person for n in range(3)]
    host = session.host_links.get().person
    now = at(session, "invitee", 24 * 60)  # the workers' clock: the 24-hour reminder is due
    new_start = session.start + timedelta(days=10)

    def act(i):
        if i == 0:
            session_schedule(session=session, start=new_start, by=host)
        else:
            reminders_send_due(now=now)

    errors = race(act, threads=4)

    assert errors == []
    sent = Reminder.objects.filter(sent_at__isnull=False)
    pending = Reminder.objects.filter(sent_at__isnull=True)
    # Sent before the reschedule (once, to everyone) or moved with it (not sent): never both.
    assert sent_to() == sorted(p.email for p in people) * sent.count()
    assert list(sent.values_list("offset_minutes", "recipients")) in ([], [(24 * 60, 3)])
    assert sorted(pending.values_list("offset_minutes", "due_at")) == sorted(
        (m, new_start - timedelta(minutes=m))
        for m in {60, 24 * 60} - set(sent.values_list("offset_minutes", flat=True))
    )


# --- mail content -------------------------------------------------------------------------


RSVP = r"http://127\.0\.0\.1:8000/sessions/rsvp/[^/\s\"]+/(\?answer=\w+)?"


def rsvp_links(text: str) -> list[tuple[int, str]]:
    """(invitation id, preselected answer) of each signed answer link in ``text``."""
    found = []
    for match in re.finditer(RSVP, text):
        token = match.group(0).split("/rsvp/")[1].split("/")[0]
        found.append((rsvp_token_read(token)[0], (match.group(1) or "").removeprefix("?answer=")))
    return found


def _last_sunday_of_march(year: int) -> datetime:
    day = datetime(year, 3, 31, 9, 0, tzinfo=UTC)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_times_are_in_each_recipients_timezone_across_the_dst_change():
    # Europe switches to summer time at 01:00 UTC on the last Sunday of March: a session at
    # 09:00 UTC that day is at 11:00 in Berlin, while the day before 09:00 UTC was 10:00.
    start = _last_sunday_of_march(timezone.now().year + 1)
    session = upcoming(start=start, programme=only("invitee"))
    session.location = "Room 4"
    session.call_url = "https://meet.example.com/pandas"
    session.save()
    invite(session, "berlin@example.com", "yes", timezone="Europe/Berlin")
    invite(session, "ny@example.com", "maybe", timezone="America/New_York")
    invite(session, "nowhere@example.com", "yes", timezone="Mars/Olympus")

    assert reminders_send_due(now=at(session, "invitee", 24 * 60)) == 1

    date = f"Sunday {start.day} March {start.year}"
    link = f"http://127.0.0.1:8000/sessions/{session.pk}/"
    expected = {
        "berlin@example.com": f"{date}, 11:00\u201311:45 (Europe/Berlin)",
        "ny@example.com": f"{date}, 05:00\u201305:45 (America/New_York)",  # EDT since mid-March
        "nowhere@example.com": f"{date}, 09:00\u201309:45 (UTC)",  # an unknown zone: UTC
    }
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        when = expected[message.to[0]]
        answer = "maybe" if message.to[0] == "ny@example.com" else "yes"
        invitation = Invitation.objects.get(session=session, person__email=message.to[0])
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert rsvp_links(message.body) == [(invitation.pk, "")]
        assert re.sub(RSVP, "RSVP", message.body) == (
            f"Hello {message.to[0].split('@')[0].title()},\n\n"
            f"“Pandas tricks” (Tech talks) starts in 24 hours:\n\n"
            f"{when}\nWhere: Room 4\nJoin online: http://127.0.0.1:8000/sessions/{session.pk}/join/\n\n"
            "If your plans changed, please update your answer so others can take your seat:\n\n"
            f"RSVP\n\nThe session page: {link}\n\n"
            f"You get this because you answered {answer}.\n— kshare"
            + notification_footer(person_id=invitation.person_id, category="reminders")
        )
        assert f"<strong>{when}</strong>" in html
        assert [re.sub(RSVP, "RSVP", h) for h in re.findall(r'href="([^"]+)"', html)][:3] == [
            f"{link}join/",
            "RSVP",
            link,
        ]


def test_the_host_mail_counts_the_answers_and_links_the_session():
    session = upcoming(programme=only("host_prep"))
    for n, answer in enumerate(["yes", "yes", "maybe", "no", "pending", "pending", "pending"]):
        invite(session, f"p{n}@example.com", answer)

    reminders_send_due(now=at(session, "host_prep", DAY))
    Invitation.objects.filter(person__email="p0@example.com").update(waitlisted_at=timezone.now())
    Reminder.objects.filter(kind="host_prep", offset_minutes=DAY).update(sent_at=None)
    reminders_send_due(now=at(session, "host_prep", DAY))

    message, waitlist = mail.outbox
    assert "So far 1 going, 1 on the waiting list, 1 maybe, 3 not answered yet." in waitlist.body
    assert message.subject == "Your session “Pandas tricks” is in 1 day: time to prepare"
    assert "So far 2 going, 1 maybe, 3 not answered yet." in message.body
    link = f"http://127.0.0.1:8000/sessions/{session.pk}/"
    # The session, then the notification footer's two links (turn reminders off, settings).
    assert re.findall(r"http://\S+", message.body)[:-2] == [link]
    assert re.findall(r'href="([^"]+)"', message.alternatives[0][0])[:-2] == [link]


def test_titles_are_escaped_in_html_and_not_in_text():
    session = upcoming(title="<b>Tags</b> & more", programme=only("nudge", nudge_days=5))
    invite(session, "pending@example.com", "pending")

    reminders_send_due(now=at(session, "nudge", 5 * DAY))

    [message] = mail.outbox
    assert "“<b>Tags</b> & more”" in message.body
    assert "“&lt;b&gt;Tags&lt;/b&gt; &amp; more”" in message.alternatives[0][0]


# --- the tick -----------------------------------------------------------------------------


def test_the_tick_task_and_the_command_send_due_reminders(capsys):
    session = upcoming(programme=only("invitee"))
    invite(session, "yes@example.com", "yes")
    # As if the time had come: the session and its reminders move back together.
    shift = due(session, "invitee", 24 * 60).due_at - timezone.now() + timedelta(seconds=1)
    Session.objects.filter(pk=session.pk).update(start=F("start") - shift, end=F("end") - shift)
    Reminder.objects.update(due_at=F("due_at") - shift)

    result = reminders_tick_task.enqueue()  # the immediate backend runs it now

    assert result.return_value == {"planned": 0, "dropped": 0, "sent": 1, "digests": 0}
    assert sent_to() == ["yes@example.com"]
    call_command("reminders_tick")
    assert capsys.readouterr().out == (
        "Reminders: 0 sent, 0 session(s) planned, 0 lapsed dropped, 0 organiser digest(s).\n"
    )
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("kind", "minutes", "answer"),
    [("host_prep", 7 * DAY, "yes"), ("invitee", 60, "maybe"), ("nudge", 5 * DAY, "pending")],
)
def test_text_and_html_carry_the_same_links_in_the_same_order(kind, minutes, answer):
    session = upcoming(programme=only(kind, nudge_days=5 if kind == "nudge" else 0))
    session.call_url = "https://meet.example.com/pandas"
    session.save()
    invite(session, "ivy@example.com", answer)

    reminders_send_due(now=at(session, kind, minutes))

    [message] = mail.outbox
    links = re.findall(r"https?://[^\s\"<]+", message.body)
    assert len(links) >= 2
    assert re.findall(r'href="([^"]+)"', message.alternatives[0][0]) == [
        link.replace("&", "&amp;") for link in links
    ]


@pytest.mark.parametrize(
    ("kind", "minutes", "subject"),
    [
        (
            "host_prep",
            7 * DAY,
            "Your session “Pandas tricks, part 2” is in 7 days: time to prepare",
        ),
        ("invitee", 24 * 60, "Reminder: “Pandas tricks, part 2” starts in 24 hours"),
    ],
)
def test_a_title_with_a_line_break_is_one_line_in_the_subject_and_the_mail_goes(
    kind, minutes, subject
):
    # Titles typed through the API may hold line breaks; a header with one is refused, so
    # before the subject was made one line the reminder failed and nobody was reminded.
    session = upcoming(programme=only(kind), title="Pandas tricks,\r\n  part 2")
    invite(session, "ivy@example.com", "yes")

    assert reminders_send_due(now=at(session, kind, minutes)) == 1

    assert [m.subject for m in mail.outbox] == [subject]
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT

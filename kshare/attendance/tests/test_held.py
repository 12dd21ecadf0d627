"""Held: one action freezes the attendance log (later edits are corrections), feedback reaches
people added afterwards, the organisers' digest forgets the session, and the clock marks held
what nobody marked when people checked in."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kshare.attendance.log import attendance_auto_held
from kshare.attendance.selectors import attendance_frozen, sessions_auto_held_due
from kshare.attendance.tasks import attendance_auto_held_task
from kshare.core.ticks import periodic_tasks
from kshare.feedback.models import FeedbackRequest
from kshare.people.tests.factories import OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.services import sessions_unclosed
from kshare.sessions import services
from kshare.sessions.attendance import attendance_add
from kshare.sessions.models import Attendance, AttendanceChange, Session, SessionChange, State
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory
from kshare.web.tests.race import race

BERLIN = ZoneInfo("Europe/Berlin")


def started(**kwargs):
    now = timezone.now()
    kwargs.setdefault("host", PersonFactory(display_name="Hana Host"))
    return ScheduledSessionFactory(
        start=now - timedelta(minutes=50), end=now - timedelta(minutes=5), **kwargs
    )


def ended(hours_ago: float, programme=None, **kwargs):
    """A scheduled session that ended ``hours_ago`` hours ago, nobody marked it."""
    end = timezone.now() - timedelta(hours=hours_ago)
    return ScheduledSessionFactory(
        programme=programme or ProgrammeFactory(),
        start=end - timedelta(minutes=45),
        end=end,
        **kwargs,
    )


def check_in(session, *people):
    for p in people:
        attendance_add(session=session, person=p, by=p, method=Attendance.Method.CHECK_IN)


def host_of(session):
    return session.host_links.get().person


# -- marking held --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_marking_held_records_how_many_attended(client):
    session = started()
    check_in(session, PersonFactory(), PersonFactory())
    client.force_login(host_of(session))
    response = client.post(f"/sessions/{session.pk}/held/", follow=True)
    html = response.content.decode()
    assert "Marked as held. The attendance log is frozen." in html
    change = SessionChange.objects.get(session=session, kind=SessionChange.Kind.HELD)
    assert (change.by, change.note, change.from_state, change.to_state) == (
        host_of(session),
        "2 attended",
        "scheduled",
        "held",
    )
    assert "Marked as held by Hana Host: “2 attended”" in html


@pytest.mark.django_db
def test_the_log_is_frozen_and_later_edits_are_corrections(client):
    session = started()
    ann, ben, cal = (PersonFactory(display_name=n) for n in ("Ann", "Ben", "Cal Late"))
    check_in(session, ann, ben)
    host = host_of(session)
    services.session_mark_held(session=session, by=host)
    held_at = SessionChange.objects.get(session=session, kind="held").at
    client.force_login(host)

    client.post(f"/sessions/{session.pk}/attendance/add/", {"person": cal.pk})
    client.post(f"/sessions/{session.pk}/attendance/remove/", {"person": ben.pk})

    assert set(Attendance.objects.filter(session=session).values_list("person", flat=True)) == {
        ann.pk,
        cal.pk,
    }
    corrections = AttendanceChange.objects.filter(session=session, after_held=True)
    assert sorted(corrections.values_list("person__display_name", "action")) == [
        ("Ben", "removed"),
        ("Cal Late", "added"),
    ]
    assert AttendanceChange.objects.filter(session=session, after_held=False).count() == 2
    html = client.get(f"/sessions/{session.pk}/attendance/").content.decode()
    local = timezone.localtime(held_at, BERLIN)  # Hana Host's timezone (the factory's)
    assert "Log frozen when held at <time" in html
    assert f">{local.day} {local:%b %Y, %H:%M}</time>: 2 attended. Later changes" in html
    assert html.count('<span class="badge">Correction after held</span>') == 2
    assert "Checked in (2)" in html
    frozen = attendance_frozen(session=session)
    assert (frozen.at, frozen.attended, frozen.automatic) == (held_at, 2, False)


@pytest.mark.django_db
def test_someone_added_after_held_gets_the_feedback_form(
    client, django_capture_on_commit_callbacks
):
    session = started()
    ann, late = PersonFactory(display_name="Ann"), PersonFactory(display_name="Leo Late")
    check_in(session, ann)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_mark_held(session=session, by=host_of(session))
    assert list(FeedbackRequest.objects.values_list("person", flat=True)) == [ann.pk]

    client.force_login(host_of(session))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sessions/{session.pk}/attendance/add/", {"person": late.pk})
    requests = FeedbackRequest.objects.filter(session=session)
    assert sorted(requests.values_list("person", flat=True)) == sorted([ann.pk, late.pk])
    assert requests.get(person=late).mail_pending is False  # mailed


@pytest.mark.django_db
def test_adding_before_held_does_not_dispatch_feedback(django_capture_on_commit_callbacks):
    session = started()
    # The session has ended, so a dispatch would send: none is triggered before "held".
    with django_capture_on_commit_callbacks(execute=True):
        check_in(session, PersonFactory())
    assert FeedbackRequest.objects.count() == 0


@pytest.mark.django_db
def test_a_held_session_leaves_the_ended_but_not_marked_digest():
    session = started()
    other = started()
    assert set(sessions_unclosed()) == {session, other}
    services.session_mark_held(session=session, by=host_of(session))
    assert list(sessions_unclosed()) == [other]


# -- automatic held ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sessions_with_check_ins_are_marked_held_n_hours_after_their_end():
    programme = ProgrammeFactory(auto_held_after_hours=12)
    due = ended(12.1, programme, title="Due")
    not_yet = ended(11.9, programme, title="Not yet")
    empty = ended(30, programme, title="Nobody came")
    for s in (due, not_yet):
        check_in(s, PersonFactory(), PersonFactory(), PersonFactory())

    assert attendance_auto_held() == 1

    states = dict(
        Session.objects.filter(pk__in=[due.pk, not_yet.pk, empty.pk]).values_list("title", "state")
    )
    assert states == {"Due": "held", "Not yet": "scheduled", "Nobody came": "scheduled"}
    change = SessionChange.objects.get(session=due, kind="held")
    assert (change.by, change.note) == (None, "marked held automatically; 3 attended")
    # Sessions nobody checked in to stay in the organisers' digest.
    assert set(sessions_unclosed()) == {not_yet, empty}
    due.refresh_from_db()
    assert attendance_frozen(session=due).automatic is True


@pytest.mark.django_db
def test_each_programme_has_its_own_hours_and_zero_means_never():
    soon = ProgrammeFactory(auto_held_after_hours=1)
    late = ProgrammeFactory(auto_held_after_hours=48)
    never = ProgrammeFactory(auto_held_after_hours=0)
    sessions = {
        "soon, 2h": ended(2, soon),
        "late, 2h": ended(2, late),
        "late, 49h": ended(49, late),
        "never, 500h": ended(500, never),
    }
    for s in sessions.values():
        check_in(s, PersonFactory())
    due = set(sessions_auto_held_due(now=timezone.now()))
    assert due == {sessions["soon, 2h"], sessions["late, 49h"]}
    assert attendance_auto_held() == 2
    held_ids = set(Session.objects.filter(state=State.HELD).values_list("pk", flat=True))
    held = {name for name, s in sessions.items() if s.pk in held_ids}
    assert held == {"soon, 2h", "late, 49h"}


@pytest.mark.django_db
def test_auto_held_ignores_proposed_cancelled_and_held_sessions():
    programme = ProgrammeFactory(auto_held_after_hours=1)
    already = ended(5, programme)
    check_in(already, PersonFactory())
    services.session_mark_held(session=already, by=host_of(already))
    cancelled = ended(5, programme, state=State.CANCELLED)
    Attendance.objects.create(session=cancelled, person=PersonFactory())
    proposed = SessionFactory(programme=programme)
    assert attendance_auto_held() == 0
    assert SessionChange.objects.filter(kind="held").count() == 1
    assert Session.objects.get(pk=proposed.pk).state == "proposed"


@pytest.mark.django_db
def test_the_tick_is_idempotent_and_on_the_clock():
    programme = ProgrammeFactory(auto_held_after_hours=12)
    session = ended(13, programme)
    check_in(session, PersonFactory())
    assert "kshare.attendance.tasks.attendance_auto_held_task" in periodic_tasks()
    assert attendance_auto_held_task.enqueue().return_value == 1
    assert attendance_auto_held_task.enqueue().return_value == 0
    assert SessionChange.objects.filter(session=session, kind="held").count() == 1


@pytest.mark.django_db
def test_auto_held_refuses_a_session_whose_check_ins_were_all_removed_meanwhile():
    session = ended(13, ProgrammeFactory(auto_held_after_hours=12))
    with pytest.raises(ValidationError) as exc:
        services.session_mark_held(session=session, by=None, automatic=True)
    assert exc.value.messages == [
        "Nobody checked in, so the session is not marked held automatically."
    ]
    assert Session.objects.get(pk=session.pk).state == "scheduled"


@pytest.mark.django_db(transaction=True)
def test_racing_workers_mark_each_session_held_once():
    programme = ProgrammeFactory(auto_held_after_hours=2)
    sessions = [ended(3, programme) for _ in range(3)]
    for s in sessions:
        check_in(s, PersonFactory(), PersonFactory())

    errors = race(lambda i: attendance_auto_held(), threads=6)

    assert errors == []
    for s in sessions:
        s.refresh_from_db()
        assert s.state == State.HELD
        assert list(
            SessionChange.objects.filter(session=s, kind="held").values_list("by", "note")
        ) == [(None, "marked held automatically; 2 attended")]


@pytest.mark.django_db(transaction=True)
def test_a_host_and_the_clock_marking_at_once_mark_it_once():
    programme = ProgrammeFactory(auto_held_after_hours=2)
    session = ended(3, programme, host=PersonFactory())
    check_in(session, PersonFactory())
    host = host_of(session)

    def act(i: int) -> None:
        if i == 0:
            try:
                services.session_mark_held(session=session, by=host)
            except ValidationError as exc:  # the clock was first: refused, not an error
                assert exc.messages == ["Only a scheduled session can be marked as held."]
        else:
            attendance_auto_held()

    assert race(act, threads=4) == []
    assert SessionChange.objects.filter(session=session, kind="held").count() == 1


# -- the programme form --------------------------------------------------------------------------


@pytest.mark.django_db
def test_organisers_set_the_auto_held_hours_on_the_programme_form(client):
    organiser = OrganiserFactory()
    programme = ProgrammeFactory(auto_held_after_hours=12)
    programme.organisers.add(organiser)
    client.force_login(organiser)
    page = client.get(f"/programmes/{programme.slug}/edit/").content.decode()
    assert 'name="auto_held_after_hours"' in page
    base = {"name": programme.name, "lead_time_days": "14", "visibility": "public"}
    edit = f"/programmes/{programme.slug}/edit/"

    assert client.post(edit, {**base, "auto_held_after_hours": "0"}).status_code == 302
    programme.refresh_from_db()
    assert programme.auto_held_after_hours == 0

    too_many = client.post(edit, {**base, "auto_held_after_hours": "169"})
    assert too_many.status_code == 200
    assert too_many.context["form"].errors["auto_held_after_hours"] == [
        "Ensure this value is less than or equal to 168."
    ]
    assert client.post(edit, base).status_code == 302  # an older form keeps the value
    programme.refresh_from_db()
    assert programme.auto_held_after_hours == 0


# -- the frozen log: a late "I'm here" ----------------------------------------------------------

HELD_MESSAGE = (
    "“{title}” was marked as held, so its attendance list is final and takes no more check-ins. "
    "If you were there, ask the host to add you: the log shows it as a correction."
)


def _held_early(django_capture_on_commit_callbacks):
    """A session still running (its end is in 30 minutes), Ann checked in, marked held early."""
    now = timezone.now()
    session = ScheduledSessionFactory(
        title="Kafka basics",
        start=now - timedelta(minutes=15),
        end=now + timedelta(minutes=30),
        host=PersonFactory(display_name="Hana Host"),
    )
    ann = PersonFactory(display_name="Ann")
    check_in(session, ann)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_mark_held(session=session, by=host_of(session))
    assert list(FeedbackRequest.objects.values_list("person", flat=True)) == [ann.pk]
    return session, ann


@pytest.mark.django_db
def test_a_late_im_here_after_held_is_refused_with_a_message_and_requests_no_feedback(
    client, django_capture_on_commit_callbacks
):
    session, ann = _held_early(django_capture_on_commit_callbacks)
    late = PersonFactory(display_name="Leo Late")
    client.force_login(late)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/sessions/{session.pk}/here/", follow=True)
    assert response.redirect_chain == [(f"/sessions/{session.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        HELD_MESSAGE.format(title="Kafka basics")
    ]
    assert callbacks == []  # no feedback dispatch queued
    assert list(Attendance.objects.filter(session=session).values_list("person", flat=True)) == [
        ann.pk
    ]
    assert list(FeedbackRequest.objects.values_list("person", flat=True)) == [ann.pk]
    assert AttendanceChange.objects.filter(session=session, person=late).count() == 0
    # With htmx the check-in card says so, and the "I'm here" button is gone.
    response = client.post(f"/sessions/{session.pk}/here/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert (
        "The session was marked as held: its attendance list is final. "
        "Ask the host to add you if you were there." in html
    )
    assert "I'm here</button>" not in html
    assert "I'm here</button>" not in client.get(f"/sessions/{session.pk}/").content.decode()


@pytest.mark.django_db
def test_the_check_in_link_after_held_answers_409_and_records_nothing(
    client, django_capture_on_commit_callbacks
):
    from kshare.attendance.checkin import checkin_token

    session, _ann = _held_early(django_capture_on_commit_callbacks)
    client.force_login(PersonFactory())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/check-in/{checkin_token(session)}/")
    assert response.status_code == 409
    assert HELD_MESSAGE.format(title="Kafka basics") in response.content.decode()
    assert callbacks == []
    assert Attendance.objects.filter(session=session).count() == 1


@pytest.mark.django_db
def test_after_a_refused_check_in_the_host_adds_the_person_as_a_correction(
    client, django_capture_on_commit_callbacks
):
    session, _ann = _held_early(django_capture_on_commit_callbacks)
    late = PersonFactory(display_name="Leo Late")
    client.force_login(late)
    client.post(f"/sessions/{session.pk}/here/")
    client.force_login(host_of(session))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sessions/{session.pk}/attendance/add/", {"person": late.pk})
    change = AttendanceChange.objects.get(session=session, person=late)
    assert (change.action, change.after_held, change.by) == ("added", True, host_of(session))
    html = client.get(f"/sessions/{session.pk}/attendance/").content.decode()
    assert html.count('<span class="badge">Correction after held</span>') == 1

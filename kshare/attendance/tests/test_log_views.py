"""The attendance log page: who may see it, the live list, adding and removing, the table,
the history, the CSV export and a constant query count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.sessions.attendance import attendance_add, attendance_take_off
from kshare.sessions.models import Attendance, AttendanceChange, Invitation, State, Visibility
from kshare.sessions.tests.factories import InvitationFactory, ScheduledSessionFactory

pytestmark = pytest.mark.django_db


def running(**kwargs):
    """A scheduled session that started ten minutes ago, hosted by "Hana Host"."""
    now = timezone.now()
    kwargs.setdefault("host", PersonFactory(display_name="Hana Host"))
    return ScheduledSessionFactory(
        start=now - timedelta(minutes=10), end=now + timedelta(minutes=35), **kwargs
    )


def host_of(session):
    return session.host_links.get().person


def url(session, suffix=""):
    return f"/sessions/{session.pk}/attendance/{suffix}"


# -- who may see the page ------------------------------------------------------------------------


def test_hosts_organisers_and_admins_see_the_log(client, organiser, admin_person):
    session = running()
    session.programme.organisers.add(organiser)
    for viewer in (host_of(session), organiser, admin_person):
        client.force_login(viewer)
        response = client.get(url(session))
        assert response.status_code == 200
        assert "<h1>Attendance log</h1>" in response.content.decode()


def test_a_member_who_sees_the_session_gets_403_one_who_does_not_gets_404(client, person):
    public = running()
    hidden = running(visibility=Visibility.INVITE_ONLY)
    client.force_login(person)
    for suffix in ("", "live/", "search/?q=ab"):
        assert client.get(url(public, suffix)).status_code == 403
        assert client.get(url(hidden, suffix)).status_code == 404
    assert client.get(f"/sessions/{public.pk}/attendance.csv").status_code == 403
    assert client.get(f"/sessions/{hidden.pk}/attendance.csv").status_code == 404
    other = PersonFactory()
    assert client.post(url(public, "add/"), {"person": other.pk}).status_code == 403
    assert client.post(url(hidden, "add/"), {"person": other.pk}).status_code == 404
    assert Attendance.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client):
    session = running()
    response = client.get(url(session))
    assert response.status_code == 302
    assert response["Location"] == f"/signin/?next={url(session)}"


def test_an_unknown_session_is_404(client, admin_person):
    client.force_login(admin_person)
    assert client.get("/sessions/999999/attendance/").status_code == 404


# -- the live list -------------------------------------------------------------------------------


def test_the_live_partial_lists_who_checked_in_and_polls_while_scheduled(client):
    session = running()
    ann = PersonFactory(display_name="Ann Attendee")
    attendance_add(session=session, person=ann, by=ann, method=Attendance.Method.CHECK_IN)
    client.force_login(host_of(session))
    response = client.get(url(session, "live/"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="card" id="attendance-live"')
    version = f"1-{Attendance.objects.get(person=ann).pk}"
    assert f'hx-get="/sessions/{session.pk}/attendance/live/?v={version}"' in html
    assert 'hx-trigger="every 5s"' in html
    assert "Checked in (1)" in html
    assert '<span class="attendee-name">Ann Attendee</span>' in html
    assert "Check-in" in html


def test_a_poll_that_finds_nothing_new_gets_no_content(client):
    session = running()
    ann, ben = PersonFactory(display_name="Ann"), PersonFactory(display_name="Ben")
    attendance_add(session=session, person=ann, by=ann, method=Attendance.Method.CHECK_IN)
    client.force_login(host_of(session))
    first = client.get(url(session, "live/")).content.decode()
    version = first.split("live/?v=")[1].split('"')[0]
    unchanged = client.get(url(session, "live/"), {"v": version})
    assert (unchanged.status_code, unchanged.content) == (204, b"")
    attendance_add(session=session, person=ben, by=ben, method=Attendance.Method.CHECK_IN)
    changed = client.get(url(session, "live/"), {"v": version})
    assert changed.status_code == 200
    assert "Checked in (2)" in changed.content.decode()
    # Someone leaves and someone else comes: the same count, yet a new version.
    attendance_take_off(session=session, person=ann, by=None)
    newer = changed.content.decode().split("live/?v=")[1].split('"')[0]
    attendance_add(session=session, person=ann, by=ann, method=Attendance.Method.CHECK_IN)
    assert client.get(url(session, "live/"), {"v": newer}).status_code == 200
    assert client.get(url(session, "live/"), {"v": "junk\x00"}).status_code == 200


def test_the_live_list_stops_polling_once_held(client):
    session = running()
    session.state = State.HELD
    session.save()
    client.force_login(host_of(session))
    html = client.get(url(session, "live/")).content.decode()
    assert "hx-trigger" not in html
    assert "Nobody is checked in yet." in html


# -- adding by name ------------------------------------------------------------------------------


def test_search_finds_people_who_may_see_the_session_and_are_not_on_the_log(client):
    team = TeamFactory(name="Data")
    session = running(visibility=Visibility.TEAMS)
    session.teams.add(team)
    PersonFactory(display_name="Bob Outsider")  # not in the team: may not see it
    bob = PersonFactory(display_name="Bob Builder", team=team)
    bobby = PersonFactory(display_name="Bobby Here", team=team)
    attendance_add(session=session, person=bobby, by=bobby, method=Attendance.Method.CHECK_IN)
    client.force_login(host_of(session))
    html = client.get(url(session, "search/?q=bob")).content.decode()
    assert html.lstrip().startswith('<div id="search-results"')
    assert '<span class="attendee-name">Bob Builder</span>' in html
    assert "Outsider" not in html
    assert "Bobby Here" not in html
    assert f'name="person" value="{bob.pk}"' in html


def test_the_page_answers_the_search_without_javascript(client):
    session = running()
    PersonFactory(display_name="Carla Cruz")
    client.force_login(host_of(session))
    html = client.get(url(session) + "?q=carl").content.decode()
    assert '<span class="attendee-name">Carla Cruz</span>' in html
    assert 'value="carl"' in html


def test_a_short_query_finds_nobody(client):
    session = running()
    PersonFactory(display_name="Al")
    client.force_login(host_of(session))
    html = client.get(url(session, "search/?q=a")).content.decode()
    assert "attendee-name" not in html
    assert "Nobody found" not in html


def test_adding_someone_puts_them_on_the_log_with_history(client):
    session = running()
    host = host_of(session)
    dan = PersonFactory(display_name="Dan Device-less")
    client.force_login(host)
    response = client.post(url(session, "add/"), {"person": dan.pk})
    assert response.status_code == 302
    assert response["Location"] == url(session)
    attendance = Attendance.objects.get(session=session)
    assert (attendance.person, attendance.method) == (dan, Attendance.Method.HOST_LIST)
    change = AttendanceChange.objects.get(session=session)
    assert (change.person, change.action, change.method, change.by, change.after_held) == (
        dan,
        "added",
        "host_list",
        host,
        False,
    )
    page = client.get(url(session)).content.decode()
    assert "Dan Device-less is on the attendance log." in page
    assert "Dan Device-less added (Host&#x27;s list) by Hana Host" in page


def test_adding_with_htmx_returns_the_live_list_and_fresh_search_results(client):
    session = running()
    eve = PersonFactory(display_name="Eve Extra")
    client.force_login(host_of(session))
    response = client.post(
        url(session, "add/"), {"person": eve.pk, "q": "eve"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="attendance-live"')
    assert "Checked in (1)" in html
    assert "Eve Extra is on the attendance log." in html
    assert '<div id="search-results" aria-live="polite" hx-swap-oob="true">' in html
    assert f'name="person" value="{eve.pk}"' not in html  # no longer offered


def test_adding_someone_twice_changes_nothing(client):
    session = running()
    fay = PersonFactory(display_name="Fay Twice")
    client.force_login(host_of(session))
    client.post(url(session, "add/"), {"person": fay.pk})
    client.post(url(session, "add/"), {"person": fay.pk})
    assert Attendance.objects.filter(session=session).count() == 1
    assert AttendanceChange.objects.filter(session=session).count() == 1
    page = client.get(url(session)).content.decode()
    assert "Fay Twice was already on the attendance log." in page


@pytest.mark.parametrize("raw", ["", "abc", "999999", "1" * 40, "-1"])
def test_adding_an_unknown_person_is_refused_clearly(client, raw):
    session = running()
    client.force_login(host_of(session))
    response = client.post(url(session, "add/"), {"person": raw}, follow=True)
    assert response.status_code == 200
    assert "No such person." in response.content.decode()
    assert Attendance.objects.count() == 0
    assert AttendanceChange.objects.count() == 0


def test_adding_someone_who_may_not_see_the_session_is_refused(client):
    session = running(visibility=Visibility.INVITE_ONLY)
    stranger = PersonFactory(display_name="Stan Stranger")
    client.force_login(host_of(session))
    response = client.post(url(session, "add/"), {"person": stranger.pk}, follow=True)
    assert "Stan Stranger may not see this session, so they cannot be on its log." in (
        response.content.decode()
    )
    assert Attendance.objects.count() == 0
    # Invited: now they may see it, and may be added.
    InvitationFactory(session=session, person=stranger)
    client.post(url(session, "add/"), {"person": stranger.pk})
    assert list(Attendance.objects.values_list("person_id", flat=True)) == [stranger.pk]


def test_adding_a_deactivated_person_is_refused(client):
    session = running()
    gone = PersonFactory(display_name="Gil Gone", is_active=False)
    client.force_login(host_of(session))
    response = client.post(url(session, "add/"), {"person": gone.pk}, follow=True)
    assert "Gil Gone may not see this session" in response.content.decode()
    assert Attendance.objects.count() == 0


def test_adding_before_the_window_is_refused_and_the_page_says_when_it_opens(client):
    now = timezone.now()
    session = ScheduledSessionFactory(
        start=now + timedelta(minutes=16), end=now + timedelta(minutes=60)
    )
    hal = PersonFactory(display_name="Hal Early")
    client.force_login(host_of(session))
    response = client.post(url(session, "add/"), {"person": hal.pk}, follow=True)
    html = response.content.decode()
    assert "Attendees can be added from 15 minutes before the start." in html
    assert 'aria-label="People to add"' not in html
    assert Attendance.objects.count() == 0


def test_adding_is_open_from_fifteen_minutes_before_the_start(client):
    now = timezone.now()
    session = ScheduledSessionFactory(
        start=now + timedelta(minutes=14), end=now + timedelta(minutes=60)
    )
    ida = PersonFactory(display_name="Ida Intime")
    client.force_login(host_of(session))
    client.post(url(session, "add/"), {"person": ida.pk})
    assert Attendance.objects.filter(session=session, person=ida).count() == 1


def test_adding_to_a_cancelled_session_is_refused(client):
    session = running()
    session.state = State.CANCELLED
    session.save()
    jo = PersonFactory()
    client.force_login(host_of(session))
    response = client.post(url(session, "add/"), {"person": jo.pk}, follow=True)
    assert "This session was cancelled: its attendance log takes no one." in (
        response.content.decode()
    )
    assert Attendance.objects.count() == 0


def test_the_add_and_remove_endpoints_refuse_get_and_put(client):
    session = running()
    client.force_login(host_of(session))
    assert client.get(url(session, "add/")).status_code == 405
    assert client.put(url(session, "remove/")).status_code == 405


# -- removing ------------------------------------------------------------------------------------


def test_removing_asks_for_confirmation_then_takes_them_off(client):
    session = running()
    host = host_of(session)
    kim = PersonFactory(display_name="Kim Mistake")
    attendance_add(session=session, person=kim, by=kim, method=Attendance.Method.CHECK_IN)
    client.force_login(host)
    confirm = client.get(url(session, f"remove/?person={kim.pk}"))
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert "<h1>Remove Kim Mistake from the attendance log?</h1>" in html
    assert f'<input type="hidden" name="person" value="{kim.pk}">' in html
    assert Attendance.objects.filter(session=session).count() == 1  # nothing yet

    response = client.post(url(session, "remove/"), {"person": kim.pk})
    assert response.status_code == 302
    assert Attendance.objects.filter(session=session).count() == 0
    removed = AttendanceChange.objects.filter(session=session).order_by("id").last()
    assert (removed.person, removed.action, removed.by, removed.after_held) == (
        kim,
        "removed",
        host,
        False,
    )
    page = client.get(url(session)).content.decode()
    assert "Kim Mistake is off the attendance log." in page
    assert "Kim Mistake removed by Hana Host" in page
    assert "Kim Mistake added (Check-in) by themself" in page


def test_removing_someone_not_on_the_log_is_refused_clearly(client):
    session = running()
    lea = PersonFactory(display_name="Lea Absent")
    client.force_login(host_of(session))
    response = client.post(url(session, "remove/"), {"person": lea.pk}, follow=True)
    assert "Lea Absent is not on the attendance log." in response.content.decode()
    assert AttendanceChange.objects.count() == 0
    confirm = client.get(url(session, f"remove/?person={lea.pk}"), follow=True)
    assert "That person is not on the attendance log." in confirm.content.decode()
    unknown = client.post(url(session, "remove/"), {"person": "x"}, follow=True)
    assert "No such person." in unknown.content.decode()


# -- the table, counts and history ---------------------------------------------------------------


def test_the_table_shows_invited_answer_and_attended_side_by_side(client):
    session = running(capacity=1)
    team = TeamFactory(name="Platform")
    yes = PersonFactory(display_name="Amy Yes", team=team)
    waiting = PersonFactory(display_name="Ben Waiting")
    no = PersonFactory(display_name="Cat No")
    walk_in = PersonFactory(display_name="Dov Walk-in")
    InvitationFactory(session=session, person=yes, response=Invitation.Response.YES)
    InvitationFactory(
        session=session,
        person=waiting,
        response=Invitation.Response.YES,
        waitlisted_at=timezone.now(),
    )
    InvitationFactory(session=session, person=no, response=Invitation.Response.NO)
    for p in (yes, walk_in):
        attendance_add(session=session, person=p, by=p, method=Attendance.Method.CHECK_IN)
    client.force_login(host_of(session))
    html = client.get(url(session)).content.decode()
    rows = [
        '<tr><th scope="row">Amy Yes</th><td>Platform</td><td>Yes</td><td>Going</td>'
        "<td>Yes (Check-in)</td></tr>",
        '<tr><th scope="row">Ben Waiting</th><td>—</td><td>Yes</td><td>Waitlisted</td>'
        "<td>No</td></tr>",
        '<tr><th scope="row">Cat No</th><td>—</td><td>Yes</td><td>Not going</td><td>No</td></tr>',
        '<tr><th scope="row">Dov Walk-in</th><td>—</td><td>No</td><td>—</td>'
        "<td>Yes (Check-in)</td></tr>",
    ]
    positions = [html.index(row) for row in rows]
    assert positions == sorted(positions)
    for count, label in [
        (3, "invited"),
        (1, "said yes"),
        (1, "waitlisted"),
        (1, "said no"),
        (2, "attended"),
        (1, "came without an invitation"),
    ]:
        assert f"<li><strong>{count}</strong> {label}</li>" in html


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_export_lists_everyone_with_formula_cells_quoted(client):
    session = running()
    team = TeamFactory(name='=HYPERLINK("http://evil")')
    mal = PersonFactory(display_name="=cmd|' /C calc'!A0", email="mal@example.com", team=team)
    amy = PersonFactory(display_name="Amy Yes", email="amy@example.com")
    InvitationFactory(session=session, person=amy, response=Invitation.Response.YES)
    attendance, _ = attendance_add(
        session=session, person=mal, by=mal, method=Attendance.Method.REMOTE
    )
    client.force_login(host_of(session))
    response = client.get(f"/sessions/{session.pk}/attendance.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="attendance-session-{session.pk}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["name", "email", "team", "invited", "answer", "attended", "method", "checked_in_at"],
        [
            "'=cmd|' /C calc'!A0",
            "mal@example.com",
            '\'=HYPERLINK("http://evil")',
            "no",
            "",
            "yes",
            "Online (I'm here)",
            attendance.recorded_at.astimezone(UTC).isoformat(),
        ],
        ["Amy Yes", "amy@example.com", "", "yes", "Going", "no", "", ""],
    ]


# -- the session page ----------------------------------------------------------------------------


def test_the_session_page_links_managers_to_the_log_with_the_count(client, person):
    session = running()
    ann = PersonFactory()
    attendance_add(session=session, person=ann, by=ann, method=Attendance.Method.CHECK_IN)
    client.force_login(host_of(session))
    html = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'<a href="/sessions/{session.pk}/attendance/">Attendance log (1)</a>' in html
    assert ">Mark as held</button>" in html
    client.force_login(person)
    html = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Attendance log" not in html
    assert "Mark as held" not in html


def test_mark_as_held_is_offered_only_once_the_session_started(client):
    session = ScheduledSessionFactory()  # in 20 days
    client.force_login(host_of(session))
    html = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Mark as held" not in html
    assert f'<a href="/sessions/{session.pk}/attendance/">Attendance log (0)</a>' in html


# -- query counts --------------------------------------------------------------------------------


def _crowd(session, n):
    team = TeamFactory()
    for i in range(n):
        p = PersonFactory(team=team if i % 2 else None)
        if i % 3:
            InvitationFactory(session=session, person=p, response=Invitation.Response.YES)
        if i % 4:
            attendance_add(session=session, person=p, by=p, method=Attendance.Method.CHECK_IN)
        if i % 10 == 0 and i % 4:
            AttendanceChange.objects.create(session=session, person=p, action="removed", by=p)


@pytest.mark.parametrize("held", [False, True])
def test_the_log_page_of_500_people_costs_the_same_queries_as_of_10(
    client, django_assert_num_queries, held
):
    small, big = running(), running()
    _crowd(small, 10)
    _crowd(big, 500)
    for s in (small, big):
        if held:
            s.state = State.HELD
            s.save()
    client.force_login(host_of(small))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(small) + "?q=person").status_code == 200
    client.force_login(host_of(big))
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(url(big) + "?q=person")
    assert response.status_code == 200
    # Everyone invited or attending: all but the multiples of 12 (neither invited nor came).
    assert response.content.decode().count('<tr><th scope="row">') == 500 - 42


@pytest.mark.parametrize("query", ["x" * 10_000, "zz\x00", "%_%", "' OR 1=1 --"])
def test_odd_searches_answer_calmly(client, query):
    session = running()
    PersonFactory(display_name="Ann Other")
    client.force_login(host_of(session))
    for address in (url(session, "search/"), url(session)):
        response = client.get(address, {"q": query})
        assert response.status_code == 200
        assert '<span class="attendee-name">Ann Other</span>' not in response.content.decode()


def test_the_nul_stripped_query_still_finds(client):
    session = running()
    PersonFactory(display_name="Ann Other")
    client.force_login(host_of(session))
    html = client.get(url(session, "search/"), {"q": "an\x00n"}).content.decode()
    assert '<span class="attendee-name">Ann Other</span>' in html


def test_removing_with_htmx_answers_with_the_live_list(client):
    session = running()
    kim = PersonFactory(display_name="Kim Gone")
    attendance_add(session=session, person=kim, by=kim, method=Attendance.Method.CHECK_IN)
    client.force_login(host_of(session))
    response = client.post(
        url(session, "remove/"), {"person": kim.pk}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="attendance-live"')
    assert "Checked in (0)" in html
    assert "Kim Gone is off the attendance log." in html
    again = client.post(
        url(session, "remove/"), {"person": kim.pk}, headers={"HX-Request": "true"}
    ).content.decode()
    assert (
        '<p class="message message-error" role="status">Kim Gone is not on the attendance log.'
        in (again)
    )
    assert AttendanceChange.objects.filter(session=session, action="removed").count() == 1


def test_csv_export_neutralises_every_formula_start(client):
    from kshare.core.tests.csv_payloads import EXPECTED, PAYLOADS

    session = running()
    people = [
        PersonFactory(display_name=payload, email=f"p{i}@example.com", team=None)
        for i, payload in enumerate(PAYLOADS)
    ]
    for person in people:
        attendance_add(session=session, person=person, by=person, method=Attendance.Method.REMOTE)
    client.force_login(host_of(session))
    response = client.get(f"/sessions/{session.pk}/attendance.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert sorted(row[0] for row in rows[1:]) == sorted(EXPECTED)

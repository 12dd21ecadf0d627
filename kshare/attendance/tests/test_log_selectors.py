"""The log's reads: who may be added mirrors who may see the session; the session page's panel
costs the same queries for 10 or 500 attendees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.people.tests.factories import AdminFactory, PersonFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.attendance import attendance_add
from kshare.sessions.models import Attendance, Visibility
from kshare.sessions.selectors import sessions_visible_to
from kshare.sessions.tests.factories import InvitationFactory, ScheduledSessionFactory
from kshare.visibility.rules import people_who_may_see

pytestmark = pytest.mark.django_db


def test_people_who_may_see_a_session_are_exactly_those_it_is_visible_to():
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    people = {
        "red": PersonFactory(team=red),
        "blue": PersonFactory(team=blue),
        "no team": PersonFactory(),
        "admin": AdminFactory(),
        "organiser": PersonFactory(team=blue),
        "host": PersonFactory(team=blue),
        "invited": PersonFactory(team=blue),
        "inactive red": PersonFactory(team=red, is_active=False),
    }
    open_programme = ProgrammeFactory()
    red_programme = ProgrammeFactory(visibility=ProgrammeVisibility.TEAMS)
    red_programme.teams.add(red)
    sessions = []
    for programme in (open_programme, red_programme):
        programme.organisers.add(people["organiser"])
        for visibility, teams in [
            (Visibility.PUBLIC, []),
            (Visibility.TEAMS, [red]),
            (Visibility.TEAMS, [blue]),
            (Visibility.INVITE_ONLY, []),
        ]:
            session = ScheduledSessionFactory(
                programme=programme, visibility=visibility, host=people["host"]
            )
            session.teams.set(teams)
            InvitationFactory(session=session, person=people["invited"])
            sessions.append(session)
    names = {p.pk: name for name, p in people.items()}
    for session in sessions:
        expected = {
            name
            for name, p in people.items()
            if sessions_visible_to(person=p).filter(pk=session.pk).exists()
        }
        got = {
            names[pk]
            for pk in people_who_may_see(session=session).values_list("pk", flat=True)
            if pk in names
        }
        assert got == expected, (session.programme.visibility, session.visibility)
        assert "inactive red" not in got
        assert {"admin", "host", "invited", "organiser"} <= got
    # Spot checks that the grid is not trivial.
    red_only = sessions[1]
    assert {
        names[pk]
        for pk in people_who_may_see(session=red_only).values_list("pk", flat=True)
        if pk in names
    } == {"red", "admin", "organiser", "host", "invited"}


def _session_with(n: int):
    now = timezone.now()
    session = ScheduledSessionFactory(
        start=now - timedelta(minutes=10), end=now + timedelta(minutes=30)
    )
    for _ in range(n):
        p = PersonFactory()
        InvitationFactory(session=session, person=p, response="yes")
        attendance_add(session=session, person=p, by=p, method=Attendance.Method.CHECK_IN)
    return session


def test_the_session_page_for_a_host_costs_the_same_queries_for_10_or_500_attendees(
    client, django_assert_num_queries
):
    small, big = _session_with(10), _session_with(500)
    client.force_login(small.host_links.get().person)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(f"/sessions/{small.pk}/").content.decode()
    assert f'<a href="/sessions/{small.pk}/attendance/">Attendance log (10)</a>' in html
    client.force_login(big.host_links.get().person)
    with django_assert_num_queries(len(ctx.captured_queries)):
        html = client.get(f"/sessions/{big.pk}/").content.decode()
    assert f'<a href="/sessions/{big.pk}/attendance/">Attendance log (500)</a>' in html


def test_the_log_panel_costs_no_query(rf, django_assert_num_queries):
    from kshare.attendance.views_log import attendance_log_context

    session = _session_with(2)
    request = rf.get("/")
    with django_assert_num_queries(0):
        context = attendance_log_context(request, session, can_edit=True)
        assert attendance_log_context(request, session, can_edit=False) is None
    assert context == {
        "attendance_log_url": f"/sessions/{session.pk}/attendance/",
        "attendance_csv_url": f"/sessions/{session.pk}/attendance.csv",
    }

import pytest

from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions import selectors
from kshare.sessions.models import SessionHost, Visibility
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
    SessionHostFactory,
)

pytestmark = pytest.mark.django_db


def _visible_ids(person):
    return set(selectors.sessions_visible_to(person=person).values_list("pk", flat=True))


def test_visibility_rules():
    red, blue = TeamFactory(name="Red", slug="red"), TeamFactory(name="Blue", slug="blue")
    reader = PersonFactory(team=red)
    public = SessionFactory()
    for_red = SessionFactory(visibility=Visibility.TEAMS)
    for_red.teams.set([red])
    for_blue = SessionFactory(visibility=Visibility.TEAMS)
    for_blue.teams.set([blue])
    secret = SessionFactory(visibility=Visibility.INVITE_ONLY)
    invited = SessionFactory(visibility=Visibility.INVITE_ONLY)
    InvitationFactory(session=invited, person=reader)
    hosting = SessionFactory(visibility=Visibility.INVITE_ONLY, host=reader)

    assert _visible_ids(reader) == {public.pk, for_red.pk, invited.pk, hosting.pk}
    assert _visible_ids(AdminFactory()) == {
        public.pk,
        for_red.pk,
        for_blue.pk,
        secret.pk,
        invited.pk,
        hosting.pk,
    }
    assert secret.pk not in _visible_ids(PersonFactory(team=None))


def test_team_programme_hides_its_sessions_from_other_teams():
    red, blue = TeamFactory(name="Red", slug="red"), TeamFactory(name="Blue", slug="blue")
    guild = ProgrammeFactory(visibility=ProgrammeVisibility.TEAMS)
    guild.teams.set([red])
    session = SessionFactory(programme=guild)
    organiser = OrganiserFactory(team=blue)
    guild.organisers.add(organiser)
    assert _visible_ids(PersonFactory(team=red)) == {session.pk}
    assert _visible_ids(PersonFactory(team=blue)) == set()
    assert _visible_ids(organiser) == {session.pk}


def test_can_edit_hosts_programme_organisers_and_admins_only():
    host = PersonFactory()
    session = SessionFactory(host=host)
    programme_organiser = OrganiserFactory()
    session.programme.organisers.add(programme_organiser)
    assert selectors.session_can_edit(person=host, session=session) is True
    assert selectors.session_can_edit(person=programme_organiser, session=session) is True
    assert selectors.session_can_edit(person=AdminFactory(), session=session) is True
    assert selectors.session_can_edit(person=PersonFactory(), session=session) is False
    # An organiser of another programme is a member here.
    assert selectors.session_can_edit(person=OrganiserFactory(), session=session) is False


def test_edit_rights_read_loaded_host_links_without_a_query(django_assert_num_queries):
    host, cohost, member = PersonFactory(), PersonFactory(), PersonFactory()
    session = SessionFactory(host=host)
    SessionHostFactory(session=session, person=cohost, role=SessionHost.Role.COHOST)
    loaded = selectors.session_detail(person=host, pk=session.pk)

    with django_assert_num_queries(0):
        assert selectors.session_can_edit(person=host, session=loaded) is True
        assert selectors.session_can_edit(person=cohost, session=loaded) is True
        assert selectors.session_can_edit(person=member, session=loaded) is False
    # Not loaded: asked in one query, with the same answers.
    with django_assert_num_queries(1):
        assert selectors.session_can_edit(person=cohost, session=session) is True
    with django_assert_num_queries(1):
        assert selectors.session_can_edit(person=member, session=session) is False


def test_lists_split_upcoming_past_proposed_and_mine():
    me = PersonFactory()
    upcoming = ScheduledSessionFactory()
    past = PastSessionFactory()
    proposed = SessionFactory(host=me)
    going = ScheduledSessionFactory()
    InvitationFactory(session=going, person=me, response="yes")
    declined = ScheduledSessionFactory()
    InvitationFactory(session=declined, person=me, response="no")
    attended = PastSessionFactory()
    AttendanceFactory(session=attended, person=me)

    assert list(selectors.sessions_upcoming(person=me)) == sorted(
        [upcoming, going, declined], key=lambda s: (s.start, s.pk)
    )
    assert set(selectors.sessions_past(person=me)) == {past, attended}
    assert list(selectors.sessions_proposed(person=me)) == [proposed]
    assert list(selectors.sessions_hosting(person=me)) == [proposed]
    assert set(selectors.sessions_attending(person=me)) == {going, attended}

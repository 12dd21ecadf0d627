"""Serving from the cache in a fixed number of queries, and the hand-written feed query agreeing
with the ORM's rules (``sessions_visible_to`` and ``_showable``) on every case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from kshare.library.models import CatchUpSignal
from kshare.library.tests.factories import MaterialFactory
from kshare.people.tests.factories import AdminFactory, PersonFactory, SkillFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.recommend.models import Recommendation
from kshare.recommend.selectors import _cached, _checked, _showable, recommended_for
from kshare.sessions.models import Attendance, Invitation, SessionHost, Visibility
from kshare.sessions.tests.factories import PastSessionFactory, ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db

SESSION, RECORDING = Recommendation.Kind.SESSION, Recommendation.Kind.RECORDING


def _store(person, kind, sessions, reason="because"):
    Recommendation.objects.bulk_create(
        Recommendation(
            person=person, kind=kind, rank=n, session=s, score=1.0 / n, reason=f"{reason} {n}"
        )
        for n, s in enumerate(sessions, 1)
    )


@pytest.fixture
def maze():
    """Every combination the rules tell apart: programme open or to team A, session public, to
    team A, to team B or invite-only, upcoming / started / held with material / held without;
    people in team A, team B, no team, an organiser, an admin; and each one's own signals."""
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
    tag = TagFactory(name="rust")
    organiser = PersonFactory(display_name="Olive Organiser", team=team_b)
    open_programme = ProgrammeFactory()
    team_programme = ProgrammeFactory(visibility=ProgrammeVisibility.TEAMS)
    team_programme.teams.add(team_a)
    team_programme.organisers.add(organiser)
    now = timezone.now()
    sessions = []
    for programme in (open_programme, team_programme):
        for visibility, teams in (
            (Visibility.PUBLIC, []),
            (Visibility.TEAMS, [team_a]),
            (Visibility.TEAMS, [team_b]),
            (Visibility.INVITE_ONLY, []),
        ):
            for shape in ("upcoming", "started", "held", "held-bare"):
                if shape == "upcoming":
                    session = ScheduledSessionFactory(programme=programme, visibility=visibility)
                elif shape == "started":
                    session = ScheduledSessionFactory(
                        programme=programme, visibility=visibility, start=now - timedelta(minutes=5)
                    )
                else:
                    session = PastSessionFactory(programme=programme, visibility=visibility)
                    if shape == "held":
                        MaterialFactory(session=session)
                session.teams.add(*teams)
                sessions.append(session)
    people = {
        "a": PersonFactory(display_name="Ann A", team=team_a),
        "b": PersonFactory(display_name="Ben B", team=team_b),
        "none": PersonFactory(display_name="Nia None"),
        "organiser": organiser,
        "admin": AdminFactory(display_name="Ada Admin"),
    }
    # Their own signals, on different sessions each so that every rule is seen on its own.
    a = people["a"]
    Attendance.objects.create(session=sessions[0], person=a)
    SessionHost.objects.create(session=sessions[4], person=a, role=SessionHost.Role.COHOST)
    Invitation.objects.create(session=sessions[20], person=a, response=Invitation.Response.YES)
    Invitation.objects.create(session=sessions[12], person=a)  # invite-only, no answer: shown
    Invitation.objects.create(session=sessions[28], person=a, response=Invitation.Response.NO)
    CatchUpSignal.objects.create(
        session=sessions[16], person=a, kind=CatchUpSignal.Kind.NOT_INTERESTED
    )
    CatchUpSignal.objects.create(session=sessions[2], person=a, kind=CatchUpSignal.Kind.WATCHED)
    sessions[18].tags.add(tag)
    a.interests.add(tag)
    none = people["none"]
    Invitation.objects.create(session=sessions[14], person=none)
    Invitation.objects.create(session=sessions[30], person=none, response=Invitation.Response.NO)
    for person in people.values():
        for kind in (SESSION, RECORDING):
            _store(person, kind, sessions)
    return people, sessions


@pytest.mark.parametrize("who", ["a", "b", "none", "organiser", "admin"])
@pytest.mark.parametrize("kind", [SESSION, RECORDING])
def test_the_feed_query_applies_the_same_rules_as_the_orm(maze, who, kind):
    people, sessions = maze
    person = people[who]
    expected = [
        s.pk for s in sessions if s.pk in set(_showable(person, kind).values_list("pk", flat=True))
    ]
    assert expected  # every case shows something…
    assert len(expected) < len(sessions)  # …and hides something
    found = _cached(person, kind, limit=100)
    assert [r.session.pk for r in found] == expected
    # The cold start's check of candidates by primary key: the same rules.
    assert list(_checked(person, kind, [s.pk for s in sessions])) == sorted(expected)
    assert [r.reason for r in found][:1] == [f"because {sessions.index(found[0].session) + 1}"]


def test_what_the_rules_hide_for_a_team_member(maze):
    people, sessions = maze
    shown = {s.pk for s in (r.session for r in _cached(people["a"], SESSION, limit=100))}
    # Upcoming and visible to team A: 0 attended, 4 co-hosted, 16 dismissed, 20 answered yes, 28
    # invited but answered no; 12 is invite-only, invited and not answered yet: shown.
    assert sorted(sessions.index(s) for s in sessions if s.pk in shown) == [12]
    recordings = {r.session.pk for r in _cached(people["a"], RECORDING, limit=100)}
    # Held with material and visible: 2 watched, 18 tagged with an interest (on the catch-up
    # page already).
    assert sorted(sessions.index(s) for s in sessions if s.pk in recordings) == [6, 22]


def test_a_cached_feed_is_one_query_whatever_is_filtered(maze, django_assert_num_queries):
    people, _ = maze
    with django_assert_num_queries(1):
        found = recommended_for(person=people["organiser"], kind=SESSION, limit=3)
    with django_assert_num_queries(0):  # the hosts came with it
        hosts = [[h.person.display_name for h in r.session.host_links.all()] for r in found]
    assert len(found) == 3
    assert all(len(names) == 1 for names in hosts)  # the factories' one host each
    with django_assert_num_queries(1):
        assert len(recommended_for(person=people["admin"], kind=RECORDING, limit=5)) == 5


def test_hosts_come_host_first_then_cohosts(maze):
    people, sessions = maze
    upcoming = sessions[20]
    cohost = PersonFactory(display_name="Zed Cohost")
    SessionHost.objects.create(session=upcoming, person=cohost, role=SessionHost.Role.COHOST)
    found = {r.session.pk: r.session for r in _cached(people["admin"], SESSION, limit=100)}
    names = [h.person.display_name for h in found[upcoming.pk].host_links.all()]
    host = SessionHost.objects.get(session=upcoming, role=SessionHost.Role.HOST).person
    assert names == [host.display_name, "Zed Cohost"]


def test_the_home_block_renders_from_one_query(maze, django_assert_num_queries):
    people, _ = maze
    request = RequestFactory().get("/")
    request.user = people["admin"]
    template = Template("{% load recommend %}{% recommended_sessions 3 %}")
    with django_assert_num_queries(1):
        html = template.render(Context({"request": request}))
    assert html.count('class="session-item card"') == 3
    assert "Because 1<" in html  # the admin may see everything: the first stored row


def test_cold_start_is_a_fixed_number_of_queries(db, django_assert_num_queries):
    tag = TagFactory(name="pandas")
    newcomer = PersonFactory()
    SkillFactory(person=newcomer, tag=tag, level=2)

    def sessions(n):
        for _ in range(n):
            ScheduledSessionFactory().tags.add(tag)

    sessions(2)
    # Cache (empty), skills, interests, tagged sessions, the last run's popular lists, the
    # candidates' cards with their hosts.
    with django_assert_num_queries(6):
        assert len(recommended_for(person=newcomer, kind=SESSION)) == 2
    sessions(10)
    with django_assert_num_queries(6):
        assert len(recommended_for(person=newcomer, kind=SESSION)) == 5


def test_invitees_are_a_fixed_number_of_queries(world, django_assert_num_queries):
    from kshare.recommend.selectors import invitees_for
    from kshare.recommend.services import recommend_train
    from kshare.sessions.models import Session

    from .conftest import skill

    recommend_train()  # stores "Kubernetes basics" as similar to "Kubernetes operators"
    Invitation.objects.create(
        session=world.k8s_next, person=world.carol, response=Invitation.Response.YES
    )

    def count_for(n_people: int) -> list[str]:
        for _ in range(n_people):
            skill(PersonFactory(team=world.ops_team), "kubernetes", level=1)
        session = Session.objects.select_related("programme").get(pk=world.k8s_next.pk)
        # The session's tags; every signal in one query (skills, interests, who attended the
        # similar sessions, yeses per team), only of people who may be invited; the first few
        # of the team that said yes; the best as people.
        with django_assert_num_queries(4):
            return [i.person.display_name for i in invitees_for(session=session)]

    found = count_for(2)
    # The two new people with the skill first, then who attended the similar sessions.
    assert len(found) == 4
    assert found[2:] == ["Alice Analyst", "Bob Builder"]
    assert len(count_for(20)) == 10  # many more rows read, the same queries


@pytest.mark.parametrize("index", range(0, 32, 4))  # the upcoming session of each combination
def test_invitees_apply_the_same_rules_as_people_who_may_see(maze, index):
    """The hand-written invitees query suggests exactly the people
    ``people_who_may_be_invited`` lets in, never the invited or the hosts, on every programme and
    session visibility."""
    from kshare.recommend.selectors import invitees_for
    from kshare.visibility.rules import people_who_may_be_invited

    people, sessions = maze
    session = sessions[index]
    tag = TagFactory(name=f"topic-{index}")
    session.tags.add(tag)
    gone = PersonFactory(display_name="Ian Inactive", is_active=False)
    superuser = PersonFactory(display_name="Sue Superuser", is_superuser=True)
    for person in [*people.values(), gone, superuser]:
        SkillFactory(person=person, tag=tag, level=2)
    taken = set(session.invitations.values_list("person_id", flat=True)) | set(
        session.host_links.values_list("person_id", flat=True)
    )
    expected = sorted(
        p.display_name
        for p in people_who_may_be_invited(session=session).filter(skills__tag=tag)
        if p.pk not in taken
    )
    found = sorted(i.person.display_name for i in invitees_for(session=session))
    assert found == expected
    assert "Ian Inactive" not in found
    assert "Ada Admin" in found and "Sue Superuser" in found  # admins may see everything


def test_invitees_read_only_the_first_few_of_a_team_that_said_yes(world):
    """Everyone in a team that said yes scores the same: the first by name fill the list, those
    with a skill as well come first, the invited and those who may not see it never."""
    from kshare.recommend.selectors import invitees_for

    from .conftest import skill

    session = world.k8s_next
    Invitation.objects.create(session=session, person=world.carol, response=Invitation.Response.YES)
    members = [PersonFactory(display_name=f"Ops {n:02}", team=world.ops_team) for n in range(15)]
    Invitation.objects.create(session=session, person=members[0])  # invited, no answer yet
    PersonFactory(display_name="Ops 00a", team=world.ops_team, is_active=False)
    skilled = PersonFactory(display_name="Zed Skilled", team=world.ops_team)
    skill(skilled, "kubernetes", level=1)
    found = invitees_for(session=session, limit=5)
    assert [(i.person.display_name, i.reason) for i in found] == [
        ("Zed Skilled", "skill: kubernetes (basic); 1 from your team is going"),
        ("Ops 01", "1 from your team is going"),
        ("Ops 02", "1 from your team is going"),
        ("Ops 03", "1 from your team is going"),
        ("Ops 04", "1 from your team is going"),
    ]
    assert [i.score for i in found] == pytest.approx([2.4, 0.4, 0.4, 0.4, 0.4])

"""Serving from the cache: read-time filters, cold start, invitees, hosts and topics."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kshare.library.models import CatchUpSignal
from kshare.people.tests.factories import PersonFactory
from kshare.recommend.models import Recommendation
from kshare.recommend.selectors import (
    hosts_for_topic,
    invitees_for,
    recommended_for,
    topics_for_host,
)
from kshare.recommend.services import recommend_train
from kshare.sessions.models import Attendance, Invitation, Session, Visibility
from kshare.topics.models import TopicVolunteer
from kshare.topics.tests.factories import TopicRequestFactory, TopicVoteFactory

from .conftest import skill

pytestmark = pytest.mark.django_db

SESSION, RECORDING = Recommendation.Kind.SESSION, Recommendation.Kind.RECORDING


def _feed(person, kind=SESSION, limit=5):
    return [
        (r.session.title, r.reason) for r in recommended_for(person=person, kind=kind, limit=limit)
    ]


def test_cached_feed_in_rank_order_with_reasons(world):
    recommend_train()
    assert _feed(world.alice)[0] == ("Advanced SQL", "you rated 'Intro to SQL' 5/5")
    titles = [t for t, _ in _feed(world.alice)]
    # The other two tie but for their hosts' recency (the factories' start times), in any order.
    assert titles[0] == "Advanced SQL"
    assert sorted(titles[1:]) == ["Kubernetes operators", "Pandas at scale"]


def test_a_session_no_longer_visible_is_filtered_at_read_time(world):
    recommend_train()
    Session.objects.filter(pk=world.advanced_sql.pk).update(visibility=Visibility.INVITE_ONLY)
    assert Recommendation.objects.filter(session=world.advanced_sql, person=world.alice).exists()
    assert "Advanced SQL" not in [t for t, _ in _feed(world.alice)]


def test_a_session_now_in_the_past_is_filtered(world):
    recommend_train()
    start = timezone.now() - timedelta(hours=1)
    Session.objects.filter(pk=world.advanced_sql.pk).update(
        start=start, end=start + timedelta(minutes=45)
    )
    assert "Advanced SQL" not in [t for t, _ in _feed(world.alice)]


def test_answered_dismissed_and_attended_are_filtered(world):
    recommend_train()
    Invitation.objects.create(
        session=world.advanced_sql, person=world.alice, response=Invitation.Response.YES
    )
    CatchUpSignal.objects.create(
        person=world.alice, session=world.pandas_scale, kind=CatchUpSignal.Kind.NOT_INTERESTED
    )
    assert [t for t, _ in _feed(world.alice)] == ["Kubernetes operators"]
    Attendance.objects.create(session=world.k8s_basics, person=world.alice)
    CatchUpSignal.objects.create(
        person=world.alice, session=world.pandas_basics, kind=CatchUpSignal.Kind.WATCHED
    )
    assert _feed(world.alice, RECORDING) == []


def test_recordings_leave_out_what_the_catchup_feed_lists(world):
    recommend_train()
    assert [t for t, _ in _feed(world.alice, RECORDING)] == ["Kubernetes basics", "Pandas basics"]
    Invitation.objects.create(session=world.k8s_basics, person=world.alice)  # now in catch-up
    assert [t for t, _ in _feed(world.alice, RECORDING)] == ["Pandas basics"]


def test_new_person_with_a_skill_gets_the_matching_session_first(world):
    recommend_train()
    newcomer = PersonFactory(team=world.ops_team)
    skill(newcomer, "pandas", level=2)
    assert _feed(newcomer)[0] == ("Pandas at scale", "matches your skill: pandas")


def test_cold_start_without_any_training(world):
    newcomer = PersonFactory()
    skill(newcomer, "kubernetes", level=1)
    newcomer.interests.add(world.advanced_sql.tags.get())
    assert _feed(newcomer) == [
        ("Kubernetes operators", "matches your skill: kubernetes"),
        ("Advanced SQL", "matches your interest: sql"),
    ]


def test_cold_start_by_team_popularity(world):
    for person in (world.alice, world.bob):
        Invitation.objects.create(
            session=world.k8s_next, person=person, response=Invitation.Response.YES
        )
    newcomer = PersonFactory(team=world.data_team)
    assert _feed(newcomer) == []  # popularity comes from the last training: none yet
    recommend_train()
    newcomer = PersonFactory(team=world.data_team)  # arrived after it: not in the cache
    assert _feed(newcomer) == [("Kubernetes operators", "popular in your team")]
    outsider = PersonFactory(team=world.ops_team)  # Ops showed no interest: everyone's favourites
    assert _feed(outsider)[0] == ("Kubernetes operators", "popular right now")
    assert {reason for _, reason in _feed(outsider)} == {"popular right now"}


def test_cold_start_never_shows_invisible_sessions(world):
    newcomer = PersonFactory()
    skill(newcomer, "sql", level=3)
    assert [t for t, _ in _feed(newcomer)] == ["Advanced SQL"]  # not "SQL for the board"


def test_inactive_person_gets_nothing(world):
    recommend_train()
    world.alice.is_active = False
    world.alice.save()
    assert _feed(world.alice) == []


def test_serving_never_retrains(world, django_assert_max_num_queries):
    recommend_train()
    with django_assert_max_num_queries(8):
        recommended_for(person=world.alice, kind=SESSION)


# --- invitees ------------------------------------------------------------------------------


def test_invitees_ranked_by_skill_interest_and_similar_attendance(world):
    expert = PersonFactory(display_name="Erin Expert")
    skill(expert, "sql", level=3)
    curious = PersonFactory(display_name="Cory Curious")
    curious.interests.add(world.advanced_sql.tags.get())
    recommend_train()  # stores "Intro to SQL" as similar to "Advanced SQL"
    found = {i.person.display_name: i.reason for i in invitees_for(session=world.advanced_sql)}
    assert found["Erin Expert"] == "skill: sql (expert)"
    assert found["Cory Curious"] == "interested in sql"
    assert found["Alice Analyst"] == "attended 'Intro to SQL'"
    names = [i.person.display_name for i in invitees_for(session=world.advanced_sql)]
    assert names[0] == "Erin Expert"
    assert "Hana Host" not in names


def test_invitees_leave_out_the_invited_and_those_who_may_not_see(world):
    expert = PersonFactory(display_name="Erin Expert")
    skill(expert, "sql", level=3)
    Invitation.objects.create(session=world.advanced_sql, person=expert)
    assert "Erin Expert" not in [
        i.person.display_name for i in invitees_for(session=world.advanced_sql)
    ]
    restricted = world.k8s_next
    restricted.visibility = Visibility.TEAMS
    restricted.save()
    restricted.teams.add(world.ops_team)
    data_person = PersonFactory(display_name="Dana Data", team=world.data_team)
    skill(data_person, "kubernetes", level=3)
    ops_person = PersonFactory(display_name="Oscar Ops", team=world.ops_team)
    skill(ops_person, "kubernetes", level=1)
    names = [i.person.display_name for i in invitees_for(session=restricted)]
    assert names == ["Oscar Ops"]


def test_invitees_team_going(world):
    Invitation.objects.create(
        session=world.k8s_next, person=world.carol, response=Invitation.Response.YES
    )
    teammate = PersonFactory(display_name="Olga Ops", team=world.ops_team)
    found = {i.person.display_name: i.reason for i in invitees_for(session=world.k8s_next)}
    assert found[teammate.display_name] == "1 from your team is going"


def test_invitees_for_a_session_without_tags_come_from_its_title_and_abstract(world):
    """No tags, no training yet: the known tags its text names find the people with those
    skills and interests (before, nobody was suggested)."""
    from kshare.sessions.tests.factories import ScheduledSessionFactory
    from kshare.tags.models import Tag

    session = ScheduledSessionFactory(
        title="Window functions in practice",
        abstract="Ranking rows with SQL, and when Kubernetes jobs should not do it.",
        host=world.host,
    )
    assert session.tags.count() == 0
    expert = PersonFactory(display_name="Erin Expert")
    skill(expert, "sql", level=3)
    curious = PersonFactory(display_name="Cory Curious")
    curious.interests.add(Tag.objects.get(name="kubernetes"))
    unrelated = PersonFactory(display_name="Una Unrelated")
    Tag.objects.create(name="go", slug="go")  # "go" is not a word of this text
    skill(unrelated, "go", level=3)

    found = [(i.person.display_name, i.reason) for i in invitees_for(session=session)]

    assert found == [
        ("Erin Expert", "skill: sql (expert)"),
        ("Cory Curious", "interested in kubernetes"),
    ]


# --- hosts and topics ----------------------------------------------------------------------


def test_hosts_for_a_topic_by_skill_and_hosted_sessions(world):
    topic = TopicRequestFactory(title="More on window functions")
    topic.tags.add(world.advanced_sql.tags.get())
    expert = PersonFactory(display_name="Erin Expert")
    skill(expert, "sql", level=3)
    volunteer = PersonFactory(display_name="Val Volunteer")
    skill(volunteer, "sql", level=3)
    TopicVolunteer.objects.create(request=topic, person=volunteer)
    found = hosts_for_topic(viewer=world.alice, topic=topic)
    assert [(h.person.display_name, h.reason) for h in found] == [
        ("Hana Host", "hosted 'Intro to SQL'; rated 5.0/5 by attendees"),
        ("Erin Expert", "skill: sql (expert)"),
    ]


def test_host_reasons_name_a_talk_only_when_a_whole_word_of_the_topic_is_in_it(world):
    """A topic on Go testing: the host of "Django at scale" is no candidate because of the
    letters "go" in Django (before: "hosted 'Django at scale'")."""
    from datetime import timedelta

    from django.utils import timezone

    from kshare.sessions.tests.factories import PastSessionFactory

    past = timezone.now() - timedelta(days=10)
    djangonaut = PersonFactory(display_name="Dan Django")
    PastSessionFactory(title="Django at scale", host=djangonaut, start=past)
    gopher = PersonFactory(display_name="Gil Gopher")
    PastSessionFactory(title="Table tests in Go.", host=gopher, start=past)
    topic = TopicRequestFactory(title="Testing in Go")

    found = hosts_for_topic(viewer=world.alice, topic=topic)

    assert [(h.person.display_name, h.reason) for h in found] == [
        ("Gil Gopher", "hosted 'Table tests in Go.'"),
    ]


def test_topics_for_host_ranks_matching_requests_then_skill_suggestions(world):
    skill(world.carol, "kubernetes", level=3)
    skill(world.carol, "pandas", level=2)
    wanted = TopicRequestFactory(title="Kubernetes for data scientists")
    wanted.tags.add(world.k8s_next.tags.get())
    TopicVoteFactory(request=wanted)
    TopicRequestFactory(title="Something unrelated")
    found = topics_for_host(person=world.carol)
    assert found[0].title == "Kubernetes for data scientists"
    assert found[0].reason == "Requested by 1 person · matches your skill: kubernetes"
    assert found[0].url == f"/sessions/propose/?request={wanted.pk}"
    assert "Something unrelated" not in [f.title for f in found]

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from kshare.ideas import services
from kshare.ideas.models import Idea, IdeaStatusChange, IdeaVote, Status
from kshare.ideas.tests.factories import (
    AreaIdeaFactory,
    IdeaFactory,
    IdeaVoteFactory,
    ProductAreaFactory,
)
from kshare.people.tests.factories import OrganiserFactory, PersonFactory, TeamFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Format, SessionHost, State, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def test_idea_create_tidies_the_title_and_records_the_new_status(person):
    session = ScheduledSessionFactory()

    idea = services.idea_create(
        author=person, title="  Recommend   sessions ", description=" *why* ", session=session
    )

    assert (idea.title, idea.description, idea.session, idea.area, idea.status) == (
        "Recommend sessions",
        "*why*",
        session,
        None,
        Status.NEW,
    )
    assert list(idea.status_changes.values_list("from_status", "to_status", "by")) == [
        ("", "new", person.pk)
    ]


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "The title is empty."),
        ("   \n ", "The title is empty."),
        ("x" * 201, "The title is 201 characters long; keep it under 200."),
        ("a\x00b", "The title contains a NUL character; remove it."),
    ],
)
def test_idea_create_refuses_bad_titles(person, title, message):
    with pytest.raises(ValidationError) as exc:
        services.idea_create(author=person, title=title, area=ProductAreaFactory())

    assert exc.value.messages == [message]
    assert Idea.objects.count() == 0


def test_idea_needs_a_session_or_an_area(person):
    with pytest.raises(ValidationError) as exc:
        services.idea_create(author=person, title="Floating")

    assert exc.value.messages == ["An idea belongs to a session or to a product area: choose one."]


def test_database_refuses_an_idea_without_session_and_area(person):
    with pytest.raises(IntegrityError):
        Idea.objects.create(author=person, title="Nowhere")


def test_vote_on_twice_keeps_one_vote(person):
    idea = IdeaFactory()

    assert services.idea_vote_set(idea=idea, person=person, on=True) is True
    assert services.idea_vote_set(idea=idea, person=person, on=True) is True

    assert IdeaVote.objects.filter(idea=idea).count() == 1


def test_vote_off_withdraws_and_is_idempotent(person):
    idea = IdeaFactory()
    IdeaVoteFactory(idea=idea, person=person)

    assert services.idea_vote_set(idea=idea, person=person, on=False) is False
    assert services.idea_vote_set(idea=idea, person=person, on=False) is False

    assert IdeaVote.objects.filter(idea=idea).count() == 0


def test_comment_is_stripped_and_empty_comment_refused(person):
    idea = IdeaFactory()

    comment = services.idea_comment_add(idea=idea, author=person, body="  Yes!  ")
    with pytest.raises(ValidationError) as exc:
        services.idea_comment_add(idea=idea, author=person, body=" \n ")

    assert comment.body == "Yes!"
    assert exc.value.messages == ["The comment is empty."]
    assert idea.comments.count() == 1


def test_author_moves_status_along_and_history_is_kept(person):
    idea = IdeaFactory(author=person)

    services.idea_status_set(idea=idea, by=person, status=Status.EXPLORING)
    services.idea_status_set(idea=idea, by=person, status=Status.PARKED)

    idea.refresh_from_db()
    assert idea.status == Status.PARKED
    assert list(
        IdeaStatusChange.objects.filter(idea=idea).values_list("from_status", "to_status")
    ) == [("new", "exploring"), ("exploring", "parked")]


def test_status_cannot_skip_backwards(person):
    idea = IdeaFactory(author=person, status=Status.PLANNED)

    with pytest.raises(ValidationError) as exc:
        services.idea_status_set(idea=idea, by=person, status=Status.NEW)

    assert exc.value.messages == ["An idea that is “Planned” cannot become “New”."]


def test_member_who_is_not_the_author_cannot_change_status(person):
    idea = IdeaFactory()

    with pytest.raises(PermissionDenied):
        services.idea_status_set(idea=idea, by=person, status=Status.EXPLORING)


def test_organiser_of_the_programme_promotes_an_idea_linked_both_ways():
    organiser = OrganiserFactory()
    team = TeamFactory()
    programme = ProgrammeFactory()
    programme.organisers.add(organiser)
    source = ScheduledSessionFactory(programme=programme, visibility=Visibility.TEAMS)
    source.teams.add(team)
    tag = TagFactory(name="recsys")
    source.tags.add(tag)
    idea = IdeaFactory(session=source, title="Build a recommender", description="With *implicit*.")

    session = services.idea_promote(idea=idea, by=organiser, format=Format.WORKSHOP)

    idea.refresh_from_db()
    assert (idea.promoted_session, idea.status) == (session, Status.PLANNED)
    assert list(session.source_ideas.all()) == [idea]
    assert (session.title, session.format, session.state, session.programme) == (
        "Build a recommender",
        Format.WORKSHOP,
        State.PROPOSED,
        programme,
    )
    assert session.abstract == (
        f"With *implicit*.\n\nFrom the idea “Build a recommender” (/ideas/{idea.pk}/)."
    )
    assert (list(session.tags.all()), session.visibility, list(session.teams.all())) == (
        [tag],
        Visibility.TEAMS,
        [team],
    )
    assert list(session.host_links.values_list("person", "role")) == [
        (organiser.pk, SessionHost.Role.HOST)
    ]
    assert idea.status_changes.last().note == (
        "Became the workshop proposal “Build a recommender”."
    )


def test_promoting_twice_is_refused_with_a_clear_message():
    organiser = OrganiserFactory()
    idea = AreaIdeaFactory()
    services.idea_promote(idea=idea, by=organiser, format=Format.TALK)

    with pytest.raises(ValidationError) as exc:
        services.idea_promote(idea=idea, by=organiser, format=Format.TALK)

    assert exc.value.messages == ["This idea has already become a session; open it from the idea."]
    assert idea.status_changes.filter(to_status=Status.PLANNED).count() == 1


def test_organiser_of_another_programme_cannot_promote_a_session_idea():
    idea = IdeaFactory()

    with pytest.raises(PermissionDenied):
        services.idea_promote(idea=idea, by=OrganiserFactory(), format=Format.WORKSHOP)


def test_any_organiser_promotes_an_area_idea_but_a_member_cannot():
    idea = AreaIdeaFactory()

    with pytest.raises(PermissionDenied):
        services.idea_promote(idea=idea, by=PersonFactory(), format=Format.WORKSHOP)
    session = services.idea_promote(idea=idea, by=OrganiserFactory(), format=Format.WORKSHOP)

    assert session.source_ideas.get() == idea


def test_area_create_for_organisers_only_and_names_are_unique():
    organiser = OrganiserFactory()

    area = services.area_create(by=organiser, name=" Search  ranking ", description="Find things.")
    with pytest.raises(ValidationError) as exc:
        services.area_create(by=organiser, name="search RANKING")
    with pytest.raises(PermissionDenied):
        services.area_create(by=PersonFactory(), name="Billing")

    assert (area.name, area.slug, area.created_by) == (
        "Search ranking",
        "search-ranking",
        organiser,
    )
    assert exc.value.messages == ["There is already a product area called “search RANKING”."]

"""The prospective-host pipeline: who sees it, status steps, a session draft in one click."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.feedback.hosts import TRANSITIONS
from kshare.feedback.models import ProspectiveHost
from kshare.feedback.prospects import prospective_host_record
from kshare.feedback.services import response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import (
    AdminFactory,
    PersonFactory,
    SkillFactory,
    TeamFactory,
)
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.drafts import draft_answer
from kshare.sessions.models import Session, SessionHost, State
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db

Status = ProspectiveHost.Status
HOSTS = reverse("feedback:hosts")
# session, user, count for the pager, prospects, their skills, counts per status
QUERIES = 6


def make_prospect(*, programme, status=Status.NEW, topics="", topic="", person=None, **kwargs):
    person = person or PersonFactory()
    return ProspectiveHost.objects.create(
        programme=programme,
        person=person,
        answer=kwargs.pop("answer", "yes"),
        topics=topics,
        topic=topic,
        status=status,
        source_session=kwargs.pop("source_session", None),
        **kwargs,
    )


@pytest.fixture
def programme(organiser):
    programme = ProgrammeFactory(name="Tech talks", slug="tech-talks")
    programme.organisers.add(organiser)
    return programme


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_shows_team_skills_topics_and_source_session(organiser_client, programme):
    person = PersonFactory(display_name="Ann Analyst", team=TeamFactory(name="Data"))
    SkillFactory(person=person, tag=TagFactory(name="dbt"), level=3)
    SkillFactory(person=person, tag=TagFactory(name="SQL"), level=1)
    source = PastSessionFactory(programme=programme, title="Data contracts")
    make_prospect(
        programme=programme,
        person=person,
        topic="dbt for analysts",
        topics="Kafka",
        source_session=source,
    )

    response = organiser_client.get(HOSTS)

    assert response.status_code == 200
    [(prospect, steps)] = response.context["rows"]
    assert prospect.person == person
    assert steps == [("contacted", "Contacted"), ("declined", "Declined")]
    html = response.content.decode()
    assert "Team: Data" in html
    assert '<span class="chip">dbt · Expert</span>' in html
    assert '<span class="chip">SQL · Basic</span>' in html
    assert "<p>Would host: dbt for analysts</p>" in html
    assert "<p>Would like to hear about next: Kafka</p>" in html
    assert f'<a href="{source.get_absolute_url()}">Data contracts</a>' in html


def test_organisers_see_only_their_programmes_and_admins_see_all(client, organiser, programme):
    mine = make_prospect(programme=programme)
    other = make_prospect(programme=ProgrammeFactory())

    client.force_login(organiser)
    assert [p for p, _ in client.get(HOSTS).context["rows"]] == [mine]
    client.force_login(AdminFactory())
    assert {p for p, _ in client.get(HOSTS).context["rows"]} == {mine, other}


def test_members_get_403_everywhere(member_client, programme):
    prospect = make_prospect(programme=programme)

    assert member_client.get(HOSTS).status_code == 403
    status_url = reverse("feedback:host_status", args=[prospect.pk])
    assert member_client.post(status_url, {"status": "contacted"}).status_code == 403
    propose_url = reverse("feedback:host_propose", args=[prospect.pk])
    assert member_client.post(propose_url).status_code == 403
    prospect.refresh_from_db()
    assert (prospect.status, Session.objects.count()) == (Status.NEW, 0)


def test_another_programmes_prospect_is_404_for_an_organiser(organiser_client):
    prospect = make_prospect(programme=ProgrammeFactory())

    url = reverse("feedback:host_status", args=[prospect.pk])
    assert organiser_client.post(url, {"status": "contacted"}).status_code == 404
    url = reverse("feedback:host_propose", args=[prospect.pk])
    assert organiser_client.post(url).status_code == 404
    prospect.refresh_from_db()
    assert (prospect.status, Session.objects.count()) == (Status.NEW, 0)


def test_status_actions_need_post(organiser_client, programme):
    prospect = make_prospect(programme=programme)

    url = reverse("feedback:host_status", args=[prospect.pk])
    assert organiser_client.get(url).status_code == 405


def test_filter_by_status_and_programme(organiser_client, organiser, programme):
    new = make_prospect(programme=programme)
    contacted = make_prospect(programme=programme, status=Status.CONTACTED)
    second = ProgrammeFactory(slug="second")
    second.organisers.add(organiser)
    elsewhere = make_prospect(programme=second)

    response = organiser_client.get(HOSTS, {"status": "contacted"})
    assert [p for p, _ in response.context["rows"]] == [contacted]
    assert response.context["tabs"][:3] == [
        ("", "All", 3),
        ("new", "New", 2),
        ("contacted", "Contacted", 1),
    ]

    response = organiser_client.get(HOSTS, {"programme": "tech-talks"})
    assert {p for p, _ in response.context["rows"]} == {new, contacted}
    assert elsewhere not in [p for p, _ in response.context["rows"]]
    assert organiser_client.get(HOSTS, {"programme": "nope"}).status_code == 404


def test_an_unknown_status_filter_says_so_and_shows_everyone(organiser_client, programme):
    prospect = make_prospect(programme=programme)

    response = organiser_client.get(HOSTS, {"status": "bogus"})

    assert response.status_code == 200
    assert [p for p, _ in response.context["rows"]] == [prospect]
    assert messages_of(response) == ["There is no such status; showing everyone."]


ALL_MOVES = [(a, b) for a in Status.values for b in Status.values if a != b]
ALLOWED = {
    ("new", "contacted"),
    ("new", "declined"),
    ("contacted", "agreed"),
    ("contacted", "declined"),
    ("agreed", "scheduled"),
    ("agreed", "declined"),
    ("declined", "contacted"),
}


def test_the_transition_table_is_exactly_the_pipeline():
    assert {(a, b) for a, steps in TRANSITIONS.items() for b in steps} == ALLOWED


@pytest.mark.parametrize("start,target", ALL_MOVES)
def test_status_moves_only_along_the_pipeline(organiser_client, programme, start, target):
    prospect = make_prospect(programme=programme, status=start)

    response = organiser_client.post(
        reverse("feedback:host_status", args=[prospect.pk]), {"status": target, "back": start}
    )

    assert (response.status_code, response["Location"]) == (302, f"{HOSTS}?status={start}")
    prospect.refresh_from_db()
    name = prospect.person.display_name
    if (start, target) in ALLOWED:
        assert prospect.status == target
        assert messages_of(response) == [f"{name} is now {Status(target).label}."]
    else:
        assert prospect.status == start
        [message] = messages_of(response)
        assert message.startswith(
            f"{name} is {Status(start).label}, which cannot become {Status(target).label}."
        )


def test_a_made_up_status_is_refused_with_a_message(organiser_client, programme):
    prospect = make_prospect(programme=programme)

    response = organiser_client.post(
        reverse("feedback:host_status", args=[prospect.pk]), {"status": "famous"}
    )

    prospect.refresh_from_db()
    assert prospect.status == Status.NEW
    assert messages_of(response) == [
        f"{prospect.person.display_name} is New, which cannot become 'famous'. "
        "From New the next step is Contacted or Declined."
    ]


def test_propose_creates_a_proposed_session_hosted_by_the_prospect(organiser_client, programme):
    person = PersonFactory(display_name="Ann Analyst")
    source = PastSessionFactory(programme=programme, title="Data contracts")
    prospect = make_prospect(
        programme=programme,
        person=person,
        status=Status.CONTACTED,
        topic="dbt for analysts\nSQL style",
        topics="Kafka internals",
        source_session=source,
    )

    response = organiser_client.post(reverse("feedback:host_propose", args=[prospect.pk]))

    session = Session.objects.exclude(pk=source.pk).get()
    assert (response.status_code, response["Location"]) == (302, session.get_absolute_url())
    assert (session.title, session.state, session.programme) == (
        "dbt for analysts",
        State.PROPOSED,
        programme,
    )
    hosts = list(SessionHost.objects.filter(session=session).values_list("person", "role"))
    assert hosts == [(person.pk, "host")]
    assert session.abstract == (
        "Draft proposed by Olga Organiser after Ann Analyst said “yes” to hosting a session "
        "in the feedback on “Data contracts”.\n\n"
        "The topic they would host: dbt for analysts\nSQL style"
    )
    prospect.refresh_from_db()
    assert (prospect.proposed_session, prospect.status) == (session, Status.AGREED)
    assert organiser_client.get(session.get_absolute_url()).status_code == 200


def test_propose_without_topics_titles_the_session_by_the_person(organiser_client, programme):
    prospect = make_prospect(programme=programme, person=PersonFactory(display_name="Bo"))

    organiser_client.post(reverse("feedback:host_propose", args=[prospect.pk]))

    assert list(Session.objects.values_list("title", flat=True)) == ["Session by Bo"]


def test_propose_twice_makes_one_draft(organiser_client, programme):
    prospect = make_prospect(programme=programme, person=PersonFactory(display_name="Bo"))
    url = reverse("feedback:host_propose", args=[prospect.pk])
    organiser_client.post(url)

    response = organiser_client.post(url)

    assert Session.objects.count() == 1
    assert response["Location"] == HOSTS
    assert messages_of(response)[-1] == ("A session draft for Bo exists already: “Session by Bo”.")


@pytest.mark.parametrize("status", [Status.DECLINED, Status.SCHEDULED])
def test_no_draft_for_declined_or_scheduled_prospects(organiser_client, programme, status):
    prospect = make_prospect(programme=programme, status=status)

    response = organiser_client.post(reverse("feedback:host_propose", args=[prospect.pk]))

    assert Session.objects.count() == 0
    prospect.refresh_from_db()
    assert prospect.status == status
    assert messages_of(response) == [
        f"{prospect.person.display_name} is {Status(status).label}: move them back to "
        "Contacted before proposing a session for them."
    ]


def test_an_agreed_prospect_stays_agreed_after_a_draft(organiser_client, programme):
    prospect = make_prospect(programme=programme, status=Status.AGREED)

    organiser_client.post(reverse("feedback:host_propose", args=[prospect.pk]))

    prospect.refresh_from_db()
    assert prospect.status == Status.AGREED
    assert prospect.proposed_session is not None


def test_the_programme_page_links_organisers_to_the_pipeline(client, organiser, programme):
    link = f'href="{HOSTS}?programme=tech-talks">Prospective hosts</a>'
    url = reverse("programmes:detail", args=["tech-talks"])

    client.force_login(organiser)
    assert link in client.get(url).content.decode()
    client.force_login(PersonFactory())
    assert link not in client.get(url).content.decode()


def _prospects_with_skills(programme, n: int) -> None:
    for i in range(n):
        person = PersonFactory(team=TeamFactory())
        SkillFactory(person=person)
        SkillFactory(person=person)
        source = PastSessionFactory(programme=programme, host=False) if i % 2 else None
        make_prospect(programme=programme, person=person, source_session=source, topics="x")


def test_the_page_makes_the_same_number_of_queries_for_5_and_50_prospects(
    organiser_client, programme
):
    _prospects_with_skills(programme, 5)
    organiser_client.get(HOSTS)  # warm up: content types, session

    with CaptureQueriesContext(connection) as small:
        assert len(organiser_client.get(HOSTS).context["rows"]) == 5
    _prospects_with_skills(programme, 45)
    with CaptureQueriesContext(connection) as large:
        assert len(organiser_client.get(HOSTS).context["rows"]) == 50

    assert (len(small.captured_queries), len(large.captured_queries)) == (QUERIES, QUERIES)


def test_the_list_shows_the_newest_answers_first_with_the_date_of_each_answer(
    organiser_client, programme
):
    """Sorted by the day of the answer, newest first, whatever the status; each row says when."""
    make_prospect(
        programme=programme,
        person=PersonFactory(display_name="Old Answer"),
        status=Status.NEW,
        answered_on=datetime.date(2026, 3, 2),
    )
    make_prospect(
        programme=programme,
        person=PersonFactory(display_name="New Answer"),
        status=Status.CONTACTED,
        answered_on=datetime.date(2026, 11, 20),
    )
    make_prospect(
        programme=programme,
        person=PersonFactory(display_name="Mid Answer"),
        status=Status.AGREED,
        answered_on=datetime.date(2026, 7, 9),
    )

    response = organiser_client.get(HOSTS)

    names = [prospect.person.display_name for prospect, _ in response.context["rows"]]
    assert names == ["New Answer", "Mid Answer", "Old Answer"]
    html = response.content.decode()
    assert '<span>Answered <time datetime="2026-11-20">20 Nov 2026</time></span>' in html
    assert '<span>Answered <time datetime="2026-03-02">2 Mar 2026</time></span>' in html


def test_a_later_answer_moves_the_person_to_the_top_with_its_date(programme):
    person = PersonFactory()
    session = PastSessionFactory(programme=programme)
    older = make_prospect(programme=programme, answered_on=datetime.date(2026, 1, 5))
    make_prospect(programme=programme, person=person, answered_on=datetime.date(2025, 12, 1))

    prospective_host_record(
        programme=programme, person=person, answer="maybe", topics="", source_session=session
    )

    first, second = ProspectiveHost.objects.all()
    assert (first.person, first.answered_on) == (person, timezone.localdate())
    assert second == older


def test_the_main_navigation_links_organisers_to_the_pipeline(client, organiser, programme):
    link = f'<li><a href="{HOSTS}" >Hosts</a></li>'
    home = reverse("sessions:list")

    client.force_login(organiser)
    assert link in client.get(home).content.decode()
    assert f'<a href="{HOSTS}" aria-current="page">Hosts</a>' in client.get(HOSTS).content.decode()
    client.force_login(PersonFactory())
    assert HOSTS not in client.get(home).content.decode()


def test_a_draft_from_a_feedback_answer_uses_the_topic_they_would_host(organiser_client, programme):
    """End to end: the default form's answers, then "Propose a session draft"."""
    source = PastSessionFactory(programme=programme, title="Data contracts")
    request = FeedbackRequestFactory(session=source)
    questions = {q.purpose: q.pk for q in request.form.questions.exclude(purpose="")}
    response_submit(
        request=request,
        person=request.person,
        data={
            questions["overall"]: "5",
            questions["topics_wanted"]: "Kubernetes operators",
            questions["host_interest"]: "Yes",
            questions["host_topic"]: "Testing dbt models",
        },
    )
    [prospect] = ProspectiveHost.objects.all()

    organiser_client.post(reverse("feedback:host_propose", args=[prospect.pk]))

    draft = Session.objects.exclude(pk=source.pk).get()
    assert draft.title == "Testing dbt models"
    assert draft.abstract.endswith("\n\nThe topic they would host: Testing dbt models")
    assert "Kubernetes" not in draft.abstract


def test_after_the_host_declines_the_draft_a_new_one_can_be_proposed(
    organiser_client, organiser, programme
):
    bo = PersonFactory(display_name="Bo")
    prospect = make_prospect(programme=programme, person=bo)
    url = reverse("feedback:host_propose", args=[prospect.pk])
    organiser_client.post(url)
    first = Session.objects.get()
    draft_answer(session=first, person=bo, accept=False)
    first.refresh_from_db()
    assert first.state == State.CANCELLED

    organiser_client.post(url)

    second = Session.objects.exclude(pk=first.pk).get()
    assert (second.title, second.state, second.proposed_by_id) == (
        "Session by Bo",
        State.PROPOSED,
        organiser.pk,
    )
    prospect.refresh_from_db()
    assert prospect.proposed_session == second

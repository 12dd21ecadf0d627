import pytest
from django.utils import timezone

from kshare.demo import MEMBER_EMAIL
from kshare.demo.generator import demo_organisation_create
from kshare.people.models import Person, Skill
from kshare.programmes.models import Programme
from kshare.sessions.models import Session
from kshare.tags.models import Tag
from kshare.topics.models import TopicRequest

NOW = timezone.now().replace(microsecond=0)


def _topics() -> list[tuple]:
    return [
        (
            r.title,
            r.requester.email,
            r.votes.count(),
            tuple(sorted(t.name for t in r.tags.all())),
            tuple((v.person.email, v.note) for v in r.volunteers.all()),
        )
        for r in TopicRequest.objects.order_by("title")
    ]


@pytest.mark.django_db
def test_demo_has_topic_requests_with_plus_ones_and_an_expert_volunteer_the_same_every_time():
    demo_organisation_create(people=40, seed=7, now=NOW)
    first = _topics()
    assert [(t[0], t[2], t[3]) for t in first] == [
        ("Kubernetes for data scientists", 5, ("kubernetes",)),
        ("dbt for analysts", 8, ("dbt", "sql")),
    ]
    assert first[1][1] == MEMBER_EMAIL
    for request in TopicRequest.objects.all():
        volunteer = request.volunteers.get()
        assert (
            Skill.objects.filter(
                person=volunteer.person, tag__in=request.tags.all(), level=Skill.Level.EXPERT
            ).exists()
            is True
        )
    for model in (TopicRequest, Session, Programme, Person, Tag):
        model.objects.all().delete()
    demo_organisation_create(people=40, seed=7, now=NOW)
    assert _topics() == first

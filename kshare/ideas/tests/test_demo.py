import pytest
from django.utils import timezone

from kshare.demo.content import FIRST_TALK_TITLE
from kshare.demo.generator import demo_organisation_create
from kshare.demo.tests.test_generator import wipe
from kshare.ideas.models import Idea
from kshare.sessions.models import Attendance

NOW = timezone.now().replace(microsecond=0)


def _ideas() -> list[tuple]:
    return [
        (
            i.title,
            i.session.title,
            i.status,
            i.author.email,
            tuple(sorted(v.person.email for v in i.votes.all())),
        )
        for i in Idea.objects.select_related("session", "author").order_by("created_at")
    ]


@pytest.mark.django_db
def test_demo_first_talk_has_voted_ideas_from_its_attendees_the_same_every_time():
    demo_organisation_create(people=40, seed=7, now=NOW)
    first = _ideas()
    attendees = set(
        Attendance.objects.filter(session__title=FIRST_TALK_TITLE).values_list(
            "person__email", flat=True
        )
    )

    assert [(t[0], t[1], t[2], len(t[4])) for t in first] == [
        ("Recommend sessions to colleagues in kshare", FIRST_TALK_TITLE, "exploring", 6),
        ("Workshop: build a recommender with implicit", FIRST_TALK_TITLE, "new", 4),
        ("Show why a recommendation was made", FIRST_TALK_TITLE, "new", 2),
    ]
    assert all(t[3] in attendees and set(t[4]) <= attendees for t in first)
    wipe()
    demo_organisation_create(people=40, seed=7, now=NOW)
    assert _ideas() == first

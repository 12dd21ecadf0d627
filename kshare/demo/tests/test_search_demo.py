"""The demo organisation is searchable as it commits: its bulk paths announce their rows
(``kshare.core.signals.rows_saved``) and search indexes them, without ``kshare reindex``."""

from collections import Counter

import pytest
from django.utils import timezone

from kshare.demo import MEMBER_EMAIL
from kshare.demo.content import FIRST_TALK_TITLE
from kshare.demo.generator import demo_organisation_create
from kshare.ideas.models import Idea
from kshare.library.models import Material, Transcript
from kshare.people.models import Person
from kshare.search.models import Kind, SearchDocument
from kshare.search.selectors import search
from kshare.search.services import search_reindex
from kshare.sessions.models import Session

NOW = timezone.now().replace(microsecond=0)


def _index() -> list[tuple]:
    return sorted(
        SearchDocument.objects.values_list(
            "kind",
            "object_id",
            "session_id",
            "programme_id",
            "is_open",
            "date",
            "title",
            "tags",
            "body",
            "meta",
        )
    )


@pytest.mark.django_db
def test_the_demo_is_indexed_as_a_reindex_would_index_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        demo_organisation_create(people=60, seed=1, now=NOW)
    indexed = _index()
    kinds = Counter(row[0] for row in indexed)
    assert kinds == {
        Kind.PERSON: 60,
        Kind.SESSION: Session.objects.count(),
        Kind.IDEA: Idea.objects.count(),
        Kind.MATERIAL: Material.objects.count(),
        Kind.TRANSCRIPT: Transcript.objects.count(),
    }
    assert len(kinds) == 5  # every kind of document, none empty
    search_reindex()
    assert _index() == indexed


@pytest.mark.django_db
def test_search_finds_demo_sessions_and_people_without_a_reindex(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        demo_organisation_create(people=20, seed=3, now=NOW)
    member = Person.objects.get(email=MEMBER_EMAIL)
    sessions = search(person=member, query=FIRST_TALK_TITLE, kind=Kind.SESSION)
    assert [hit.session_title for hit in sessions.hits][:1] == [FIRST_TALK_TITLE]
    people = search(person=member, query="Olivia Brandt", kind=Kind.PERSON)
    assert [hit.object_id for hit in people.hits] == list(
        Person.objects.filter(display_name="Olivia Brandt").values_list("pk", flat=True)
    )

"""How each database answers a search: filter tokens, one statement, plans (see the backends)."""

import pytest
from django.db import connection

from kshare.people.tests.factories import TeamFactory
from kshare.search.backends import Filters, postgres
from kshare.search.models import Kind
from kshare.search.query import parse
from kshare.search.selectors import search
from kshare.sessions.models import Invitation, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL query plan"
)


def found(page) -> list[tuple[str, int]]:
    return [(hit.kind, hit.object_id) for hit in page.hits]


def test_filter_tokens_are_not_words(person):
    tag = TagFactory(name="Ferns")
    session = ScheduledSessionFactory(title="Ferns", abstract="ferns")
    session.tags.add(tag)
    private = ScheduledSessionFactory(title="Ferns", visibility=Visibility.INVITE_ONLY)
    tokens = [
        f"tag{tag.pk}",
        "kindsession",
        f"prog{session.programme_id}",
        f"sess{session.pk}",
        f"sess{private.pk}",
        "restr",
    ]
    for token in tokens:
        assert search(person=person, query=token).total == 0, token
    assert found(search(person=person, query="ferns", tag=tag.slug)) == [("session", session.pk)]


def test_only_stop_words_and_a_filter_find_what_the_words_find(person):
    with_word = ScheduledSessionFactory(title="The heron", abstract="")
    ScheduledSessionFactory(title="Heron", abstract="")
    unfiltered = found(search(person=person, query="the"))
    assert found(search(person=person, query="the", kind=Kind.SESSION)) == unfiltered
    # PostgreSQL drops the stop word (nothing is left to match), FTS5 has no stop words.
    expected = [] if connection.vendor == "postgresql" else [("session", with_word.pk)]
    assert unfiltered == expected


def test_snippets_of_a_later_page_are_highlighted(person):
    for i in range(25):
        ScheduledSessionFactory(title=f"Osprey {i}", abstract=f"The osprey number {i} dives.")
    page = search(person=person, query="ospr*", page=2)
    assert (page.total, page.page, len(page.hits)) == (25, 2, 5)
    for hit in page.hits:
        assert "<mark>Osprey</mark>" in hit.title_html
        assert "<mark>osprey</mark>" in hit.snippet_html


def test_a_page_past_the_ranked_candidates_keeps_the_total(person, monkeypatch):
    from kshare.search.backends import sqlite_fts5

    monkeypatch.setattr(postgres, "CANDIDATES", 2)
    monkeypatch.setattr(sqlite_fts5, "CANDIDATES", 2)
    for i in range(3):
        ScheduledSessionFactory(title=f"Plover {i}")
    page = search(person=person, query="plover", page=2, per_page=2)
    assert (page.total, page.page, page.hits) == (3, 2, [])


class _Explaining:
    """A cursor that records the plan of each search statement before running it."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.plans: list[str] = []

    def execute(self, sql, params=None):
        if "; WITH candidate" in sql:  # SET LOCAL …; WITH candidate … SELECT …; SET LOCAL …
            self.cursor.execute(sql.replace("; WITH candidate", "; EXPLAIN WITH candidate"), params)
            self.cursor.nextset()
            self.plans.append("\n".join(row[0] for row in self.cursor.fetchall()))
        return self.cursor.execute(sql, params)

    def nextset(self):
        return self.cursor.nextset()

    def fetchall(self):
        return self.cursor.fetchall()


@postgres_only
def test_postgres_finds_words_and_filters_through_the_gin_index(person):
    tag = TagFactory(name="Birds")
    for i in range(40):
        session = ScheduledSessionFactory(title=f"Grebe {i}", abstract="grebe and coot")
        session.tags.add(tag)
    # On a table this small the planner would read it in order; the search must not.
    filters = Filters(access=None, kind=Kind.SESSION, tag_id=tag.pk)
    match = postgres.expression(parse("grebe"), filters)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT id FROM search_document WHERE search_vector @@ 'grebe'")
        assert "Seq Scan on search_document" in "\n".join(r[0] for r in cursor.fetchall())
        explaining = _Explaining(cursor)
        total, rows = postgres.search(
            explaining, match=match, filters=filters, cap=1001, max_count=1000, per_page=20, page=1
        )
        [plan] = explaining.plans
        assert (total, len(rows)) == (40, 20)
        assert "Bitmap Index Scan on search_document_vector" in plan
        assert "'~kindsession'" in plan
        assert f"'~tag{tag.pk}'" in plan
        assert "Seq Scan on search_document" not in plan
        # The setting ends with the search, also inside a transaction (this test's).
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


@postgres_only
def test_postgres_permission_tokens_are_in_the_index_lookup(person):
    from kshare.search.selectors import search_access

    person.team = TeamFactory()
    person.save()
    private = ScheduledSessionFactory(title="Dunlin", visibility=Visibility.INVITE_ONLY)
    ScheduledSessionFactory(title="Dunlin", visibility=Visibility.INVITE_ONLY)
    Invitation.objects.create(session=private, person=person)
    filters = Filters(access=search_access(person=person), kind=Kind.SESSION)
    assert postgres.filter_query(filters) == (
        f"(!'~restr' | '~vis{person.team_id}' | '~sess{private.pk}') & '~kindsession'"
    )
    with connection.cursor() as cursor:
        explaining = _Explaining(cursor)
        match = postgres.expression(parse("dunlin"), filters)
        total, rows = postgres.search(
            explaining, match=match, filters=filters, cap=1001, max_count=1000, per_page=20, page=1
        )
    assert (total, [row[:3] for row in rows]) == (1, [(rows[0][0], "session", private.pk)])
    index_condition = explaining.plans[0].split("Index Cond", 1)[1].splitlines()[0]
    assert f"'~sess{private.pk}'" in index_condition


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_postgres_setting_ends_with_the_search_outside_a_transaction(person):
    for i in range(3):
        ScheduledSessionFactory(title=f"Avocet {i}")
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert search(person=person, query="avocet").total == 3
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"

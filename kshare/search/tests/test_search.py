"""Search on the database the tests run on (run them on SQLite and on PostgreSQL)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.ideas.tests.factories import AreaIdeaFactory, IdeaFactory
from kshare.library.models import Material, Transcript
from kshare.library.tests.factories import LinkMaterialFactory, MaterialFactory
from kshare.people.models import Skill
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.search.models import Kind, SearchDocument
from kshare.search.selectors import search
from kshare.sessions.models import Invitation, Visibility
from kshare.sessions.tests.factories import PastSessionFactory, ScheduledSessionFactory
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def found(page) -> list[tuple[str, int]]:
    return [(hit.kind, hit.object_id) for hit in page.hits]


def find(person, query, **filters) -> list[tuple[str, int]]:
    return found(search(person=person, query=query, **filters))


# --- ranking and snippets -------------------------------------------------------------------


def test_title_hit_ranks_above_body_hit(person):
    in_body = ScheduledSessionFactory(title="Weekly notes", abstract="We talk about zebrafish.")
    in_title = ScheduledSessionFactory(title="Zebrafish genetics", abstract="Fins and genes.")
    assert find(person, "zebrafish") == [("session", in_title.pk), ("session", in_body.pk)]


def test_tag_hit_ranks_above_body_hit(person):
    in_body = ScheduledSessionFactory(title="One", abstract="Mentions quokka once.")
    tagged = ScheduledSessionFactory(title="Two", abstract="Nothing here.")
    tagged.tags.add(TagFactory(name="quokka", slug="quokka"))
    assert find(person, "quokka") == [("session", tagged.pk), ("session", in_body.pk)]


def test_snippet_highlights_the_match_and_escapes_the_rest(person):
    ScheduledSessionFactory(
        title="Safe <b>title</b>", abstract="Before <script>alert(1)</script> the marmoset jumps."
    )
    hit = search(person=person, query="marmoset").hits[0]
    assert "<mark>marmoset</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert "<b>" not in hit.title_html
    assert "&lt;b&gt;" in hit.title_html


def test_title_match_is_highlighted(person):
    ScheduledSessionFactory(title="Gardening with ferrets", abstract="")
    hit = search(person=person, query="ferrets").hits[0]
    assert hit.title_html == "Gardening with <mark>ferrets</mark>"


def test_content_cannot_forge_highlights(person):
    ScheduledSessionFactory(title="Plain", abstract="\ue000forged\ue001 ocelot text")
    hit = search(person=person, query="ocelot").hits[0]
    assert "<mark>forged" not in hit.snippet_html
    assert "<mark>ocelot</mark>" in hit.snippet_html


def test_prefix_phrase_negation_and_or(person):
    a = ScheduledSessionFactory(title="Kubernetes operators", abstract="feature flags at scale")
    b = ScheduledSessionFactory(title="Docker basics", abstract="flags and feature toggles")
    assert find(person, "kubern*") == [("session", a.pk)]
    assert find(person, '"feature flags"') == [("session", a.pk)]
    assert find(person, "flags -kubernetes") == [("session", b.pk)]
    assert sorted(find(person, "kubernetes OR docker")) == sorted(
        [("session", a.pk), ("session", b.pk)]
    )


def test_accents_and_case(person):
    s = ScheduledSessionFactory(title="ÜBER Großstädte", abstract="")
    assert find(person, "über") == [("session", s.pk)]


# --- what is indexed, and kept current --------------------------------------------------------


def test_session_saved_and_deleted():
    viewer = PersonFactory()
    session = ScheduledSessionFactory(title="Narwhal migration")
    assert find(viewer, "narwhal") == [("session", session.pk)]
    session.title = "Walrus migration"
    session.save()
    assert find(viewer, "narwhal") == []
    assert find(viewer, "walrus") == [("session", session.pk)]
    session_id = session.pk
    session.delete()
    assert find(viewer, "walrus") == []
    assert not SearchDocument.objects.filter(session_id=session_id).exists()


def test_material_notes_saved_and_deleted(person):
    material = MaterialFactory(title="Workshop notes", notes="We compared **axolotl** tanks.")
    assert find(person, "axolotl") == [("material", material.pk)]
    hit = search(person=person, query="axolotl").hits[0]
    assert hit.url == f"/sessions/{material.session_id}/#material-{material.pk}"
    assert hit.session_title == material.session.title
    material.notes = "Only newts now."
    material.save()
    assert find(person, "axolotl") == []
    assert find(person, "newts") == [("material", material.pk)]
    material.delete()
    assert find(person, "newts") == []


def test_link_material_title_is_found(person):
    link = LinkMaterialFactory(title="Slides about capybaras")
    assert find(person, "capybaras") == [("material", link.pk)]


def test_transcript_saved_and_deleted(person):
    material = MaterialFactory(title="Recording", notes="")
    transcript = Transcript.objects.create(
        material=material, source=Transcript.Source.TEXT, text="and then the pangolin said"
    )
    assert find(person, "pangolin") == [("transcript", transcript.pk)]
    material.title = "Recording of the pangolin talk"
    material.save()  # the transcript is titled after its material
    hit = search(person=person, query="pangolin", kind=Kind.TRANSCRIPT).hits[0]
    assert "<mark>pangolin</mark>" in hit.title_html
    transcript.delete()
    assert find(person, "pangolin", kind=Kind.TRANSCRIPT) == []


def test_material_delete_removes_its_transcript(person):
    material = MaterialFactory(notes="")
    Transcript.objects.create(material=material, source="text", text="tapir tapir")
    material_id = material.pk
    Material.objects.filter(pk=material_id).delete()
    assert find(person, "tapir") == []


def test_idea_saved_and_deleted(person):
    idea = IdeaFactory(title="Use lemurs for load testing", description="")
    assert find(person, "lemurs") == [("idea", idea.pk)]
    assert search(person=person, query="lemurs").hits[0].url == f"/ideas/{idea.pk}/"
    idea.delete()
    assert find(person, "lemurs") == []


def test_person_skills_team_and_name(person):
    team = TeamFactory(name="Platform wombats", slug="platform-wombats")
    colleague = PersonFactory(display_name="Quentin Zyx", team=team)
    tag = TagFactory(name="terraform", slug="terraform")
    skill = Skill.objects.create(person=colleague, tag=tag)
    assert find(person, "terraform") == [("person", colleague.pk)]
    assert find(person, "wombats") == [("person", colleague.pk)]
    assert find(person, "zyx") == [("person", colleague.pk)]
    assert search(person=person, query="zyx").hits[0].url == f"/people/{colleague.pk}/"
    skill.delete()
    assert find(person, "terraform") == []
    colleague.is_active = False
    colleague.save()
    assert find(person, "zyx") == []


def test_session_tags_change_reindexes(person):
    session = ScheduledSessionFactory(title="Untagged", abstract="")
    tag = TagFactory(name="okapi", slug="okapi")
    session.tags.add(tag)
    assert find(person, "okapi") == [("session", session.pk)]
    session.tags.remove(tag)
    assert find(person, "okapi") == []
    tag.sessions.add(session)  # from the other side
    assert find(person, "okapi") == [("session", session.pk)]


# --- filters and pagination ---------------------------------------------------------------


def test_filter_by_kind(person):
    session = ScheduledSessionFactory(title="Gecko talk")
    material = MaterialFactory(session=session, title="Gecko notes", notes="")
    assert find(person, "gecko", kind=Kind.MATERIAL) == [("material", material.pk)]
    assert find(person, "gecko", kind=Kind.SESSION) == [("session", session.pk)]


def test_filter_by_tag(person):
    tag = TagFactory(name="python", slug="python")
    tagged = ScheduledSessionFactory(title="Heron one")
    tagged.tags.add(tag)
    ScheduledSessionFactory(title="Heron two")
    expert = PersonFactory(display_name="Heron Expert")
    Skill.objects.create(person=expert, tag=tag)
    PersonFactory(display_name="Heron Novice")
    assert sorted(find(person, "heron", tag="python")) == sorted(
        [("session", tagged.pk), ("person", expert.pk)]
    )
    assert find(person, "heron", tag=tag, kind=Kind.SESSION) == [("session", tagged.pk)]


def test_filter_by_programme(person):
    programme = ProgrammeFactory()
    inside = ScheduledSessionFactory(title="Ibis inside", programme=programme)
    ScheduledSessionFactory(title="Ibis outside")
    assert find(person, "ibis", programme=programme) == [("session", inside.pk)]
    assert find(person, "ibis", programme=programme.pk) == [("session", inside.pk)]


def test_filter_by_date_range(person):
    now = timezone.now()
    old = PastSessionFactory(title="Jackal old", start=now - timedelta(days=60))
    recent = PastSessionFactory(title="Jackal recent", start=now - timedelta(days=5))
    assert find(person, "jackal", after=now - timedelta(days=10)) == [("session", recent.pk)]
    assert find(person, "jackal", before=now - timedelta(days=10)) == [("session", old.pk)]
    assert find(person, "jackal", after=now - timedelta(days=1)) == []


def test_pagination(person):
    for i in range(25):
        ScheduledSessionFactory(title=f"Kestrel {i}")
    first = search(person=person, query="kestrel", per_page=20)
    second = search(person=person, query="kestrel", page=2, per_page=20)
    assert (first.total, len(first.hits), first.num_pages, first.has_next) == (25, 20, 2, True)
    assert (len(second.hits), second.has_next, second.has_previous) == (5, False, True)
    assert not set(found(first)) & set(found(second))
    beyond = search(person=person, query="kestrel", page=99, per_page=20)
    assert (beyond.page, found(beyond)) == (2, found(second))


def test_counting_stops_at_the_cap(person, monkeypatch, member_client):
    from kshare.search import selectors, views

    monkeypatch.setattr(selectors, "MAX_COUNT", 5)
    monkeypatch.setattr(views, "MAX_COUNT", 5)
    for i in range(8):
        ScheduledSessionFactory(title=f"Lynx {i}")
    page = search(person=person, query="lynx", per_page=2, page=9)
    assert (page.total, page.more, page.num_pages, page.page, len(page.hits)) == (6, True, 3, 3, 2)
    response = member_client.get(reverse("search:results"), {"q": "lynx"})
    assert "More than 5 results for “lynx”" in response.content.decode()


def test_at_most_the_candidates_are_ranked(person, monkeypatch):
    from kshare.search.backends import postgres, sqlite_fts5

    monkeypatch.setattr(postgres, "CANDIDATES", 2)
    monkeypatch.setattr(sqlite_fts5, "CANDIDATES", 2)
    ScheduledSessionFactory(title="Marten marten marten", abstract="")
    newer = [ScheduledSessionFactory(title=f"About {i}", abstract="a marten") for i in range(2)]
    page = search(person=person, query="marten")
    assert (page.total, len(page.hits)) == (3, 2)  # the count is not limited by the candidates
    if connection.vendor == "sqlite":  # FTS5 yields the newest first
        assert sorted(found(page)) == sorted(("session", s.pk) for s in newer)


def test_empty_query_finds_nothing(person):
    ScheduledSessionFactory(title="Anything")
    page = search(person=person, query="   ")
    assert (page.total, page.hits) == (0, [])


# --- permissions inside the query -----------------------------------------------------------


@pytest.fixture
def private_session():
    session = ScheduledSessionFactory(
        title="Secret llama roadmap",
        abstract="llama details",
        visibility=Visibility.INVITE_ONLY,
    )
    material = MaterialFactory(session=session, title="Llama notes", notes="llama")
    Transcript.objects.create(material=material, source="text", text="the llama spoke")
    IdeaFactory(session=session, title="Llama idea", description="")
    return session


def test_invite_only_content_is_invisible_to_others(private_session, person):
    assert find(person, "llama") == []
    assert search(person=person, query="llama").total == 0
    for kind in Kind.values:
        assert find(person, "llama", kind=kind) == []


def test_invite_only_content_is_visible_to_invitees(private_session, person):
    Invitation.objects.create(session=private_session, person=person)
    assert sorted(kind for kind, _ in find(person, "llama")) == [
        "idea",
        "material",
        "session",
        "transcript",
    ]


def test_invite_only_content_is_visible_to_hosts_and_admins(private_session, admin_person):
    host = private_session.host_links.get().person
    assert len(find(host, "llama")) == 4
    assert len(find(admin_person, "llama")) == 4


def test_making_a_session_private_hides_it_at_once(person):
    session = ScheduledSessionFactory(title="Moose plans")
    MaterialFactory(session=session, title="Moose notes")
    assert len(find(person, "moose")) == 2
    session.visibility = Visibility.INVITE_ONLY
    session.save()
    assert find(person, "moose") == []


def test_team_sessions_and_team_programmes(person):
    team = TeamFactory()
    other = PersonFactory(team=team)
    session = ScheduledSessionFactory(title="Newt team talk", visibility=Visibility.TEAMS)
    session.teams.add(team)
    assert find(other, "newt") == [("session", session.pk)]
    assert find(person, "newt") == []
    programme = ProgrammeFactory(visibility=ProgrammeVisibility.TEAMS)
    programme.teams.add(team)
    in_programme = ScheduledSessionFactory(title="Oryx talk", programme=programme)
    assert find(other, "oryx") == [("session", in_programme.pk)]
    assert find(person, "oryx") == []


def test_team_changes_reach_the_index(person):
    team = TeamFactory()
    member = PersonFactory(team=team)
    session = ScheduledSessionFactory(title="Gnu team talk", visibility=Visibility.TEAMS)
    assert find(member, "gnu") == []
    session.teams.add(team)
    assert find(member, "gnu") == [("session", session.pk)]
    team.sessions.remove(session)  # from the other side
    assert find(member, "gnu") == []
    programme = ProgrammeFactory(visibility=ProgrammeVisibility.TEAMS)
    in_programme = ScheduledSessionFactory(title="Bison talk", programme=programme)
    assert find(member, "bison") == []
    programme.teams.add(team)
    assert find(member, "bison") == [("session", in_programme.pk)]
    assert find(person, "bison") == []
    programme.teams.clear()
    assert find(member, "bison") == []


def test_organisers_see_invite_only_sessions_of_their_programme(private_session, organiser):
    assert find(organiser, "llama") == []
    private_session.programme.organisers.add(organiser)
    assert len(find(organiser, "llama")) == 4


def test_programme_turning_private_hides_its_sessions(person):
    programme = ProgrammeFactory()
    session = ScheduledSessionFactory(title="Puffin talk", programme=programme)
    assert find(person, "puffin") == [("session", session.pk)]
    programme.visibility = ProgrammeVisibility.TEAMS
    programme.save()
    assert find(person, "puffin") == []
    programme.visibility = ProgrammeVisibility.PUBLIC
    programme.save()
    assert find(person, "puffin") == [("session", session.pk)]


def test_area_ideas_and_people_are_visible_to_everyone(person):
    idea = AreaIdeaFactory(title="Quetzal feature", description="")
    assert find(person, "quetzal") == [("idea", idea.pk)]


def test_inactive_person_finds_nothing():
    ScheduledSessionFactory(title="Raven talk")
    gone = PersonFactory(is_active=False)
    assert find(gone, "raven") == []


# --- the page -------------------------------------------------------------------------------


def test_search_page(member_client):
    session = ScheduledSessionFactory(
        title="Salamander husbandry", abstract="Keep them <em>wet</em>."
    )
    response = member_client.get(reverse("search:results"), {"q": "salamander"})
    assert response.status_code == 200
    content = response.content.decode()
    assert f'href="/sessions/{session.pk}/"' in content
    assert "<mark>Salamander</mark> husbandry" in content
    assert "1 result for “salamander”" in content
    assert 'name="q"' in content


def test_search_page_without_query(member_client):
    response = member_client.get(reverse("search:results"))
    assert response.status_code == 200
    assert b'role="status"' not in response.content
    assert b"search-hit" not in response.content


def test_search_page_needs_sign_in(client):
    response = client.get(reverse("search:results"), {"q": "x"})
    assert response.status_code == 302


def test_search_page_hides_private_sessions(member_client, private_session):
    response = member_client.get(reverse("search:results"), {"q": "llama"})
    assert response.status_code == 200
    assert b"Secret" not in response.content
    assert "Nothing found for “llama”" in response.content.decode()


def test_search_page_filters_and_pages(member_client):
    tag = TagFactory(name="sql", slug="sql")
    for i in range(23):
        s = ScheduledSessionFactory(title=f"Starling {i}")
        s.tags.add(tag)
    url = reverse("search:results")
    response = member_client.get(url, {"q": "starling", "tag": "sql", "kind": "session"})
    content = response.content.decode()
    assert "23 results" in content
    assert "Page 1 of 2" in content
    assert "page=2" in content and "tag=sql" in content
    response = member_client.get(url, {"q": "starling", "tag": "sql", "page": "2"})
    assert "Page 2 of 2" in response.content.decode()
    assert response.content.decode().count('class="card search-hit"') == 3


@pytest.mark.parametrize(
    "params",
    [
        {"after": "not a date"},
        {"after": "2026-02-30"},
        {"after": "0001-01-01"},
        {"after": "2026-05-01", "before": "2026-04-01"},
        {"tag": "not a slug!"},
        {"programme": "no-such-programme"},
        {"kind": "spaceship"},
    ],
)
def test_bad_filters_are_form_errors(member_client, params):
    response = member_client.get(reverse("search:results"), {"q": "anything", **params})
    assert response.status_code == 200
    assert b'class="errorlist"' in response.content


NASTY = [
    '"',
    '"unbalanced quote',
    "AND OR",
    "OR OR OR",
    "NOT",
    "*",
    "**",
    "-",
    "--",
    ":",
    "title:foo",
    "a:b:c",
    "NEAR(a b)",
    "a NEAR b",
    "(",
    ")",
    "((a)",
    "^a",
    "a & b | !c",
    "<->",
    "a <-> b",
    "'",
    "a'b'",
    "\\",
    "%",
    "_",
    "{}[]",
    "\x00",
    "a\x00b",
    "\ue000x\ue001",
    "é*",
    "日本語*",
    "²³",
    "🙂 smile",
    "x" * 10_000,
    "word " * 2_000,
    '"' * 10_001,
    "-" * 3_000,
    "a* " * 300,
    "SELECT * FROM search_document; --",
    "' OR 1=1 --",
]


@pytest.mark.parametrize("query", NASTY)
def test_nasty_queries_never_fail(member_client, query):
    ScheduledSessionFactory(title="Something to find", abstract="a b c é 日本語 smile x")
    response = member_client.get(reverse("search:results"), {"q": query})
    assert response.status_code == 200


def test_query_count_does_not_grow_with_results(member_client, django_assert_num_queries):
    url = reverse("search:results")
    for i in range(2):
        ScheduledSessionFactory(title=f"Tern {i}")
    member_client.get(url, {"q": "tern"})  # warm up (session, caches)
    with CaptureQueriesContext(connection) as two:
        response = member_client.get(url, {"q": "tern"})
    assert response.content.decode().count('class="card search-hit"') == 2
    for i in range(2, 10):
        s = ScheduledSessionFactory(title=f"Tern {i}")
        MaterialFactory(session=s, title=f"Tern notes {i}")
    with django_assert_num_queries(len(two.captured_queries)):
        response = member_client.get(url, {"q": "tern"})
    assert response.content.decode().count('class="card search-hit"') == 18


@pytest.mark.parametrize("page", ["-1", "0", "x", "2.5", "99999999999999999999999"])
def test_odd_page_numbers_show_a_page(member_client, page):
    for i in range(3):
        ScheduledSessionFactory(title=f"Swift {i}")
    response = member_client.get(reverse("search:results"), {"q": "swift", "page": page})
    assert response.status_code == 200
    assert response.content.decode().count('class="card search-hit"') == 3


# --- rebuilding -----------------------------------------------------------------------------


def test_reindex_rebuilds_the_same_results(person):
    session = ScheduledSessionFactory(title="Urchin biology", abstract="urchin")
    MaterialFactory(session=session, title="Urchin notes")
    IdeaFactory(session=session, title="Urchin idea")
    before = find(person, "urchin")
    count = SearchDocument.objects.count()
    SearchDocument.objects.all().delete()
    assert find(person, "urchin") == []
    err, out = StringIO(), StringIO()
    call_command("reindex", stdout=out, stderr=err, chunk=2)
    assert sorted(find(person, "urchin")) == sorted(before)  # equal scores may swap places
    assert SearchDocument.objects.count() == count
    assert f"Indexed {count} documents" in out.getvalue()
    assert f"Indexed {count} of {count} documents (100%)." in err.getvalue()
    assert "Indexed 0 of" in err.getvalue()


def test_kshare_reindex_command(person, capsys):
    from kshare.cli import main

    ScheduledSessionFactory(title="Vole talk")
    SearchDocument.objects.all().delete()
    assert main(["reindex"]) == 0
    assert "documents in" in capsys.readouterr().out
    assert len(find(person, "vole")) == 1

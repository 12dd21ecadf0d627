"""The catch-up feed: who sees which missed session, the signals, the pages."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.library.catchup import (
    catchup_feed,
    catchup_mark,
    catchup_sessions,
    catchup_unmark,
)
from kshare.library.models import CatchUpSignal, CatchUpSubscription, Cue, Transcript
from kshare.library.tests.factories import (
    LinkMaterialFactory,
    MaterialFactory,
    RecordingMaterialFactory,
    SlidesMaterialFactory,
)
from kshare.people.tests.factories import AdminFactory, PersonFactory, TeamFactory
from kshare.sessions.models import SessionHost, State, Visibility
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
)
from kshare.tags.tests.factories import TagFactory
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db

FEED = "/library/catch-up/"


def held(title, days_ago=20, **kwargs):
    start = (timezone.now() - timedelta(days=days_ago)).replace(microsecond=0)
    return PastSessionFactory(title=title, start=start, **kwargs)


def missed(person, title, days_ago=20, **kwargs):
    """A held session with notes that ``person`` was invited to and did not attend."""
    session = held(title, days_ago, **kwargs)
    InvitationFactory(session=session, person=person, response="yes")
    MaterialFactory(session=session)
    return session


def feed_titles(person):
    return list(catchup_sessions(person=person).values_list("title", flat=True))


def test_feed_has_missed_invited_or_interesting_sessions_with_material_newest_first(person):
    pandas = TagFactory(name="pandas")
    sql = TagFactory(name="sql")
    person.interests.add(pandas)
    missed(person, "Invited, missed", days_ago=30)
    interesting = held("Interesting, missed", days_ago=10)
    interesting.tags.add(pandas, sql)
    LinkMaterialFactory(session=interesting)
    # Left out:
    attended = missed(person, "Invited, attended")
    AttendanceFactory(session=attended, person=person)
    held("Invited, no material").invitations.create(person=person)
    other = held("Neither invited nor interesting")
    other.tags.add(sql)
    MaterialFactory(session=other)
    upcoming = ScheduledSessionFactory(title="Upcoming with material")
    InvitationFactory(session=upcoming, person=person)
    MaterialFactory(session=upcoming)
    cancelled = missed(person, "Cancelled", state=State.CANCELLED)
    assert cancelled.state == State.CANCELLED
    hosted = missed(person, "Hosted by me")
    SessionHost.objects.create(session=hosted, person=person, role=SessionHost.Role.COHOST)

    assert feed_titles(person) == ["Interesting, missed", "Invited, missed"]


def test_feed_leaves_out_sessions_marked_watched_or_not_interested(person):
    watched = missed(person, "Watched")
    dismissed = missed(person, "Not interested")
    missed(person, "Still to catch up")
    catchup_mark(person=person, session=watched, kind="watched")
    catchup_mark(person=person, session=dismissed, kind="not_interested")

    assert feed_titles(person) == ["Still to catch up"]


def test_feed_applies_visibility(person):
    team = TeamFactory(name="Data", slug="data")
    other_team = TeamFactory(name="Sales", slug="sales")
    person.team = team
    person.save()
    topic = TagFactory(name="pandas")
    person.interests.add(topic)
    for title, visibility, teams in [
        ("Public", Visibility.PUBLIC, []),
        ("My team", Visibility.TEAMS, [team]),
        ("Other team", Visibility.TEAMS, [other_team]),
        ("Invite only", Visibility.INVITE_ONLY, []),
    ]:
        session = held(title, visibility=visibility)
        session.teams.set(teams)
        session.tags.add(topic)
        MaterialFactory(session=session)
    invited_private = missed(person, "Invite only, invited", visibility=Visibility.INVITE_ONLY)

    assert sorted(feed_titles(person)) == sorted(["Public", "My team", invited_private.title])
    assert feed_titles(PersonFactory(is_active=False)) == []


def test_feed_items_say_why_and_which_materials(person):
    pandas = TagFactory(name="pandas")
    polars = TagFactory(name="polars")
    person.interests.add(pandas, polars, TagFactory(name="sql"))
    both = missed(person, "Both reasons", days_ago=5)
    both.tags.add(polars, pandas, TagFactory(name="rust"))
    recording = RecordingMaterialFactory(session=both)
    transcript = Transcript.objects.create(material=recording, source="text", text="Hello")
    Cue.objects.create(transcript=transcript, position=1, text="Hello")
    SlidesMaterialFactory(session=both)
    one = held("One interest", days_ago=6)
    one.tags.add(pandas)
    LinkMaterialFactory(session=one)

    page = catchup_feed(person=person, page=1)

    assert [(i.session.title, i.reasons, i.materials) for i in page.object_list] == [
        (
            "Both reasons",
            ["You were invited", "Matches your interests: pandas, polars"],
            [
                ("recording", "Recording"),
                ("slides", "Slides"),
                ("notes", "Notes"),
                ("transcript", "Transcript available"),
            ],
        ),
        ("One interest", ["Matches your interest: pandas"], [("link", "Links")]),
    ]


def test_feed_is_paginated(person):
    for day in range(1, 26):
        missed(person, f"Day {day:02}", days_ago=day)

    first = catchup_feed(person=person, page=1)
    second = catchup_feed(person=person, page="2")
    beyond = catchup_feed(person=person, page="junk")

    assert [i.session.title for i in first.object_list] == [f"Day {d:02}" for d in range(1, 21)]
    assert [i.session.title for i in second.object_list] == [f"Day {d:02}" for d in range(21, 26)]
    assert (first.paginator.count, beyond.number) == (25, 1)


# --- signals -------------------------------------------------------------------------------


def test_mark_is_idempotent_and_unmark_undoes(person):
    session = missed(person, "Pandas")

    first = catchup_mark(person=person, session=session, kind="watched")
    again = catchup_mark(person=person, session=session.pk, kind="watched")
    catchup_mark(person=person, session=session, kind="not_interested")

    assert first.pk == again.pk
    assert sorted(CatchUpSignal.objects.values_list("kind", flat=True)) == [
        "not_interested",
        "watched",
    ]
    assert catchup_unmark(person=person, session=session, kind="watched") is True
    assert catchup_unmark(person=person, session=session, kind="watched") is False
    assert list(CatchUpSignal.objects.values_list("kind", flat=True)) == ["not_interested"]


def test_signals_only_for_sessions_the_person_may_see(person):
    private = held("Private", visibility=Visibility.INVITE_ONLY)
    with pytest.raises(Http404):
        catchup_mark(person=person, session=private, kind="watched")
    with pytest.raises(Http404):
        catchup_unmark(person=person, session=private.pk, kind="watched")
    with pytest.raises(Http404):
        catchup_mark(person=person, session=999_999, kind="watched")
    with pytest.raises(ValueError, match="Unknown catch-up signal"):
        catchup_mark(person=person, session=missed(person, "x"), kind="loved")
    assert CatchUpSignal.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_racing_double_clicks_leave_one_signal():
    person = PersonFactory()
    session = missed(person, "Pandas")

    errors = race(
        lambda i: catchup_mark(person=person, session=session.pk, kind="watched"), threads=4
    )

    assert errors == []
    assert CatchUpSignal.objects.filter(person=person, session=session).count() == 1


# --- pages ---------------------------------------------------------------------------------


def test_feed_page_lists_cards_with_reasons_materials_and_links(member_client, person):
    session = missed(person, "Pandas <tricks>")
    RecordingMaterialFactory(session=session)

    response = member_client.get(FEED)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Pandas &lt;tricks&gt;" in html
    assert f'href="/sessions/{session.pk}/#materials"' in html
    assert "You were invited" in html
    assert ">Recording</span>" in html and ">Notes</span>" in html
    assert html.count('name="kind" value="watched"') == 1
    assert html.count('name="kind" value="not_interested"') == 1
    assert response.context["weekly_email"] is False
    assert 'href="/library/catch-up/" aria-current="page"' in html


def test_feed_page_when_empty(member_client):
    response = member_client.get(FEED)
    assert response.status_code == 200
    assert "Nothing to catch up on." in response.content.decode()


def test_feed_page_needs_login(client):
    response = client.get(FEED)
    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/library/catch-up/"


def test_mark_without_javascript_redirects_back_with_a_message(member_client, person):
    session = missed(person, "Pandas")

    response = member_client.post(
        reverse("library:catchup_mark", args=[session.pk]), {"kind": "watched"}, follow=True
    )

    assert response.redirect_chain == [(FEED, 302)]
    assert [str(m) for m in response.context["messages"]] == ["“Pandas” is marked as watched."]
    assert response.context["items"] == []
    # The "recently marked" list offers the undo without JavaScript.
    html = response.content.decode()
    assert f'action="/library/catch-up/{session.pk}/undo/"' in html

    response = member_client.post(
        reverse("library:catchup_unmark", args=[session.pk]), {"kind": "watched"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "“Pandas” is no longer marked as watched."
    ]
    assert [i.session.pk for i in response.context["items"]] == [session.pk]


def test_mark_with_htmx_swaps_the_card_and_undo_brings_it_back(member_client, person):
    session = missed(person, "Pandas")
    url = reverse("library:catchup_mark", args=[session.pk])

    response = member_client.post(url, {"kind": "not_interested"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<li class="card" id="catchup-{session.pk}">')
    assert "“Pandas” is marked as not interesting to you." in html
    assert 'name="kind" value="not_interested"' in html
    assert "<html" not in html

    response = member_client.post(
        reverse("library:catchup_unmark", args=[session.pk]),
        {"kind": "not_interested"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.strip().startswith(f'<li class="session-item card" id="catchup-{session.pk}">')
    assert "Mark as watched" in html
    assert CatchUpSignal.objects.count() == 0


def test_mark_redirects_only_to_local_next(member_client, person):
    session = missed(person, "Pandas")
    url = reverse("library:catchup_mark", args=[session.pk])
    local = member_client.post(url, {"kind": "watched", "next": "/sessions/"})
    evil = member_client.post(url, {"kind": "watched", "next": "https://evil.example/"})
    assert (local["Location"], evil["Location"]) == ("/sessions/", FEED)


def test_mark_errors_are_4xx(member_client, person):
    private = held("Private", visibility=Visibility.INVITE_ONLY)
    session = missed(person, "Pandas")
    url = reverse("library:catchup_mark", args=[session.pk])
    assert member_client.post(url, {"kind": "loved"}).status_code == 400
    assert member_client.post(url).status_code == 400
    assert member_client.get(url).status_code == 405
    for name in ("library:catchup_mark", "library:catchup_unmark"):
        hidden = reverse(name, args=[private.pk])
        assert member_client.post(hidden, {"kind": "watched"}).status_code == 404
    assert CatchUpSignal.objects.count() == 0


def test_weekly_email_switch(member_client, person):
    url = reverse("library:catchup_email")

    response = member_client.post(url, {"weekly_email": "on"})
    assert response["Location"] == FEED + "#weekly-email"
    assert CatchUpSubscription.objects.get(person=person).weekly_email is True
    assert member_client.get(FEED).context["weekly_email"] is True
    member_client.post(url, {"weekly_email": "on"})
    member_client.post(url, {"weekly_email": "off"})

    assert list(CatchUpSubscription.objects.values_list("person", "weekly_email")) == [
        (person.pk, False)
    ]
    assert member_client.post(url, {"weekly_email": "maybe"}).status_code == 400


def test_feed_page_query_count_is_constant(member_client, person, django_assert_num_queries):
    topic = TagFactory(name="pandas")
    person.interests.add(topic)

    def add(n):
        for _ in range(n):
            session = missed(person, "Missed")
            session.tags.add(topic, TagFactory())
            SessionHost.objects.create(session=session, person=PersonFactory(), role="cohost")
            RecordingMaterialFactory(session=session)
            catchup_mark(person=person, session=held("Seen", days_ago=1), kind="watched")

    add(2)
    member_client.get(FEED)  # warm any per-person caches (e.g. recommendations on the page)
    with CaptureQueriesContext(connection) as small:
        assert len(member_client.get(FEED).context["items"]) == 2
    add(8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(member_client.get(FEED).context["items"]) == 10


# --- the session page ----------------------------------------------------------------------


def test_session_page_offers_mark_as_watched_to_someone_who_missed_it(member_client, person):
    session = missed(person, "Pandas")
    page = f"/sessions/{session.pk}/"

    html = member_client.get(page).content.decode()
    assert 'id="catchup-box"' in html
    assert "Mark as watched" in html

    response = member_client.post(
        reverse("library:catchup_mark", args=[session.pk]),
        {"kind": "watched", "from": "session"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.strip().startswith('<div class="card" id="catchup-box">')
    assert "You marked this session as watched." in html
    assert 'name="kind" value="watched"' in html and "Undo" in html

    response = member_client.post(
        reverse("library:catchup_unmark", args=[session.pk]), {"kind": "watched", "from": "session"}
    )
    assert response["Location"] == page + "#materials"
    assert CatchUpSignal.objects.count() == 0


def test_session_page_has_no_box_for_attendees_hosts_or_sessions_without_material(client, person):
    attended = missed(person, "Attended")
    AttendanceFactory(session=attended, person=person)
    bare = held("No material")
    upcoming = ScheduledSessionFactory()
    MaterialFactory(session=upcoming)
    client.force_login(person)
    for session in (attended, bare, upcoming):
        assert 'id="catchup-box"' not in client.get(f"/sessions/{session.pk}/").content.decode()
    host = attended.host_links.get().person
    client.force_login(host)
    assert 'id="catchup-box"' not in client.get(f"/sessions/{attended.pk}/").content.decode()
    # Anyone else who may see it (not invited) may mark it.
    client.force_login(AdminFactory())
    assert 'id="catchup-box"' in client.get(f"/sessions/{attended.pk}/").content.decode()


def test_out_of_range_ids_are_404(member_client):
    huge = 10**20
    for name in ("library:catchup_mark", "library:catchup_unmark"):
        response = member_client.post(reverse(name, args=[huge]), {"kind": "watched"})
        assert response.status_code == 404
    assert member_client.get(FEED + f"?page={huge}").status_code == 200


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ((), (False, False, False)),
        (("material",), (True, False, False)),
        (("material", "attended"), (False, False, False)),
        (("material", "hosted"), (False, False, False)),
        (("material", "watched"), (True, True, False)),
        (("material", "not_interested"), (True, False, True)),
        (("watched", "not_interested"), (False, True, True)),
    ],
)
def test_catchup_state_reads_each_fact_of_this_person_and_session_only(person, facts, expected):
    from kshare.library.templatetags.catchup import catchup_state

    session, other_session = held("Mine"), held("Another")
    other_person = PersonFactory()
    # Every fact is true of another person on this session and of this person on another one.
    for who, where in ((other_person, session), (person, other_session)):
        MaterialFactory(session=other_session)
        AttendanceFactory(session=where, person=who)
        SessionHost.objects.create(session=where, person=who)
        for kind in CatchUpSignal.Kind:
            CatchUpSignal.objects.create(session=where, person=who, kind=kind)
    if "material" in facts:
        MaterialFactory(session=session)
    if "attended" in facts:
        AttendanceFactory(session=session, person=person)
    if "hosted" in facts:
        SessionHost.objects.create(session=session, person=person)
    for kind in CatchUpSignal.Kind:
        if kind.value in facts:
            CatchUpSignal.objects.create(session=session, person=person, kind=kind)

    with CaptureQueriesContext(connection) as queries:
        state = catchup_state(person, session)
    assert (state["show"], state["watched"], state["not_interested"]) == expected
    assert len(queries) == 1
    # Only held sessions, only signed-in people: no query at all.
    assert catchup_state(None, session) == {
        "show": False,
        "watched": False,
        "not_interested": False,
    }
    session.state = State.SCHEDULED
    assert catchup_state(person, session)["show"] is False

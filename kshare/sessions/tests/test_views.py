from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.core.tests.daytime import daytime_zone
from kshare.people.tests.factories import PersonFactory
from kshare.sessions.models import Session, State, Visibility
from kshare.sessions.tests.factories import (
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)
from kshare.tags.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(settings):
    """Sessions here start whole days from now at this time of day, and a session may not cross
    midnight in the installation's zone: run in a zone where now is morning (at 23:55 UTC in
    UTC a 45-minute session from now would end the next day and be refused)."""
    settings.TIME_ZONE = daytime_zone(0)


def _local(dt):
    """The datetime-local value a Berlin-based person types for ``dt``."""
    return timezone.localtime(
        dt, timezone=__import__("zoneinfo").ZoneInfo("Europe/Berlin")
    ).strftime("%Y-%m-%dT%H:%M")


def _propose_data(**overrides):
    data = {
        "title": "Intro to SQL",
        "abstract": "Joins, **groups** and windows.",
        "format": "talk",
        "level": "all",
        "visibility": "public",
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/sessions/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/sessions/"


def test_propose_minimal_form_creates_proposed_session_hosted_by_me(member_client, person):
    response = member_client.post("/sessions/propose/", _propose_data())
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert (session.title, session.state, session.format) == ("Intro to SQL", "proposed", "talk")
    assert list(session.hosts.all()) == [person]


def test_propose_reads_the_date_in_my_timezone(member_client, person):
    start = (timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    member_client.post("/sessions/propose/", _propose_data(start=_local(start)))
    assert Session.objects.get().start == start


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        (
            {"title": "x" * 201},
            "title",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        ({"capacity": "-1"}, "capacity", "Capacity must be at least 1, or empty for no limit."),
        ({"capacity": "0"}, "capacity", "Capacity must be at least 1, or empty for no limit."),
        (
            {"format": "keynote"},
            "format",
            "Select a valid choice. keynote is not one of the available choices.",
        ),
        ({"start": "2001-01-01T10:00"}, "start", "Choose a date in the future."),
        ({"start": "tomorrow-ish"}, "start", "Enter a valid date/time."),
        (
            {"abstract": "a" * 20_001},
            "abstract",
            "Ensure this value has at most 20000 characters (it has 20001).",
        ),
        ({"title": "bad\x00title"}, "title", "Null characters are not allowed."),
        ({"visibility": "teams"}, "teams", "Choose at least one team, or make the session public."),
        (
            {"cohosts_text": "nobody@example.com"},
            "cohosts_text",
            "Nobody here has the e-mail address nobody@example.com.",
        ),
        (
            {"tags_text": "x" * 61},
            "tags_text",
            f"The tag “{'x' * 20}…” is longer than 60 characters.",
        ),
        ({"call_url": "javascript:alert(1)"}, "call_url", "Enter a valid URL."),
    ],
)
def test_propose_rejects_bad_input_with_a_visible_message(member_client, overrides, field, message):
    response = member_client.post("/sessions/propose/", _propose_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Session.objects.count() == 0


def test_error_messages_are_rendered_next_to_fields(member_client):
    response = member_client.post("/sessions/propose/", _propose_data(title="", capacity="-5"))
    html = response.content.decode()
    assert 'id="id_title_error"' in html
    assert "This field is required." in html
    assert "Capacity must be at least 1, or empty for no limit." in html
    assert "Please correct the 2 problems below." in html


def test_ten_megabyte_abstract_gets_a_clear_400_page_not_a_500(member_client):
    response = member_client.post(
        "/sessions/propose/", _propose_data(abstract="a" * 10 * 1024 * 1024)
    )
    assert response.status_code == 400
    assert (
        "The form you sent is larger than 2.5 MB, so nothing was saved."
        in response.content.decode()
    )
    assert Session.objects.count() == 0


def test_edit_rejects_end_before_start(member_client, person):
    session = ScheduledSessionFactory(host=person)
    data = _propose_data(
        title=session.title,
        programme=session.programme.pk,
        start=_local(session.start),
        end=_local(session.start - timedelta(hours=1)),
    )
    response = member_client.post(f"/sessions/{session.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["end"] == ["The end must be after the start."]


def test_edit_saves_changes_and_tags(member_client, person):
    session = ScheduledSessionFactory(host=person)
    data = _propose_data(
        title="Window functions",
        programme=session.programme.pk,
        start=_local(session.start),
        end=_local(session.end),
        tags_text="sql, Postgres",
    )
    response = member_client.post(f"/sessions/{session.pk}/edit/", data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.title == "Window functions"
    assert sorted(t.name for t in session.tags.all()) == ["Postgres", "sql"]


def test_only_hosts_organisers_and_admins_edit(client, person, organiser, admin_person):
    session = SessionFactory(host=person)
    other = PersonFactory()
    for url in ("edit", "schedule", "cancel"):
        client.force_login(other)
        response = client.get(f"/sessions/{session.pk}/{url}/")
        assert response.status_code == 403
        assert "Not allowed" in response.content.decode()
    assert client.post(f"/sessions/{session.pk}/held/").status_code == 403
    client.force_login(organiser)
    assert client.get(f"/sessions/{session.pk}/edit/").status_code == 403
    session.programme.organisers.add(organiser)
    assert client.get(f"/sessions/{session.pk}/edit/").status_code == 200
    client.force_login(admin_person)
    assert client.get(f"/sessions/{session.pk}/edit/").status_code == 200


def test_invite_only_sessions_are_404_and_absent_from_lists_for_others(client, person):
    secret = ScheduledSessionFactory(visibility=Visibility.INVITE_ONLY, title="Secret plan")
    client.force_login(person)
    assert client.get(f"/sessions/{secret.pk}/").status_code == 404
    assert client.get(f"/sessions/{secret.pk}/edit/").status_code == 404
    assert client.post(f"/sessions/{secret.pk}/rsvp/", {"response": "yes"}).status_code == 404
    assert "Secret plan" not in client.get("/sessions/").content.decode()
    assert "Secret plan" not in client.get("/").content.decode()
    InvitationFactory(session=secret, person=person)
    assert client.get(f"/sessions/{secret.pk}/").status_code == 200
    assert "Secret plan" in client.get("/sessions/").content.decode()


def test_schedule_view_schedules_and_warns_about_short_lead_time(member_client, person):
    session = SessionFactory(host=person)
    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = member_client.post(
        f"/sessions/{session.pk}/schedule/", {"start": _local(start)}, follow=True
    )
    session.refresh_from_db()
    assert (session.state, session.start) == (State.SCHEDULED, start)
    texts = [str(m) for m in response.context["messages"]]
    assert texts[0].startswith("Only 2 days until the session:") or texts[0].startswith(
        "Only 3 days"
    )
    assert texts[1] == "Scheduled. It now appears on the upcoming list."


def test_schedule_view_refuses_past_start(member_client, person):
    session = SessionFactory(host=person)
    response = member_client.post(
        f"/sessions/{session.pk}/schedule/", {"start": "2020-05-05T10:00"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["start"] == ["Choose a start time in the future."]


def test_rsvp_and_cancel_through_the_page(member_client, person):
    session = ScheduledSessionFactory()
    member_client.post(f"/sessions/{session.pk}/rsvp/", {"response": "yes"})
    assert session.invitations.get(person=person).response == "yes"
    response = member_client.post(
        f"/sessions/{session.pk}/rsvp/", {"response": "bogus"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Your answer is saved.",
        "Answer yes, maybe or no.",
    ]
    mine = ScheduledSessionFactory(host=person)
    member_client.post(f"/sessions/{mine.pk}/cancel/", {"reason": "Clash"})
    mine.refresh_from_db()
    assert mine.state == State.CANCELLED


def test_session_page_renders_sanitised_markdown(member_client):
    session = ScheduledSessionFactory(abstract="**bold** <script>alert(1)</script>")
    html = member_client.get(f"/sessions/{session.pk}/").content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_session_and_tag_are_404(member_client):
    assert member_client.get("/sessions/999999/").status_code == 404
    assert member_client.get("/sessions/tag/nope/").status_code == 404
    # Numbers no database column holds are no session either (not a 500 from the database).
    for number in (2**63 - 1, 2**63, 10**30):
        assert member_client.get(f"/sessions/{number}/").status_code == 404


# Query counts: a list page with 10 rows and with 100 rows costs the same.

LIST_PAGES = [
    ("upcoming", lambda me: ScheduledSessionFactory()),
    ("past", lambda me: PastSessionFactory()),
    ("proposed", lambda me: SessionFactory()),
    ("mine_hosting", lambda me: SessionFactory(host=me)),
    ("mine_attending", lambda me: InvitationFactory(person=me, response="yes").session),
]


def _fill(make, me, n, tag):
    for _ in range(n):
        session = make(me)
        session.tags.add(tag)


@pytest.mark.parametrize(("name", "make"), LIST_PAGES)
def test_list_query_count_is_constant(client, person, django_assert_num_queries, name, make):
    client.force_login(person)
    tag = TagFactory(name="sql", slug="sql")
    url = reverse(f"sessions:{name}")
    _fill(make, person, 10, tag)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _fill(make, person, 90, tag)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url + "?page=3").status_code == 200


def test_tag_and_programme_pages_query_count_is_constant(client, person, django_assert_num_queries):
    client.force_login(person)
    tag = TagFactory(name="sql", slug="sql")
    first = ScheduledSessionFactory()
    first.tags.add(tag)
    programme = first.programme
    for _ in range(9):
        ScheduledSessionFactory(programme=programme).tags.add(tag)
    urls = [f"/sessions/tag/{tag.slug}/", f"/programmes/{programme.slug}/", "/", "/programmes/"]
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx.captured_queries)
    for _ in range(90):
        ScheduledSessionFactory(programme=programme).tags.add(tag)
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_detail_query_count_is_constant(client, person, django_assert_num_queries):
    client.force_login(person)
    small = ScheduledSessionFactory()
    big = ScheduledSessionFactory()
    for _ in range(30):
        tag = TagFactory()
        big.tags.add(tag)
        host = PersonFactory()
        big.host_links.create(person=host, role="cohost")
        InvitationFactory(session=big, response="yes")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/sessions/{small.pk}/").status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert client.get(f"/sessions/{big.pk}/").status_code == 200


def test_rsvp_with_htmx_returns_only_the_answer_card(member_client, person):
    session = ScheduledSessionFactory(capacity=5)
    response = member_client.post(
        f"/sessions/{session.pk}/rsvp/", {"response": "maybe"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="card" id="rsvp">')
    assert "<html" not in html
    assert "Your answer: <strong>Maybe</strong>" in html
    assert '<p class="message message-success" role="status">Your answer is saved.</p>' in html
    assert session.invitations.get(person=person).response == "maybe"


def test_rsvp_with_htmx_to_a_full_session_shows_the_waitlist_inline(member_client):
    session = ScheduledSessionFactory(capacity=1)
    InvitationFactory(session=session, response="yes")
    response = member_client.post(
        f"/sessions/{session.pk}/rsvp/", {"response": "yes"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert (
        '<p class="message message-success" role="status">The session is full: you are on the '
        "waitlist, number 1. You get a mail when a seat frees up.</p>"
    ) in html
    assert "you are on the waitlist, number 1.</p>" in html
    assert "<span>1 going</span><span>0 of 1 seat left</span><span>1 on the waitlist</span>" in html


def test_suggest_tags_fills_the_tags_field_from_the_text_without_saving(member_client):
    """Server-side (no JavaScript): the form comes back as typed, the tags its title and
    abstract name added after the ones already typed; nothing is proposed yet."""
    for name in ("SQL", "window functions", "pandas", "go"):
        TagFactory(name=name)
    data = _propose_data(
        title="Window functions in SQL",
        abstract="Ranking with SQL, then the same in pandas. Django is not a tag.",
        tags_text="analytics",
        suggest_tags="1",
    )

    response = member_client.post("/sessions/propose/", data)

    assert response.status_code == 200
    assert Session.objects.count() == 0
    form = response.context["form"]
    assert form.initial["tags_text"] == "analytics, SQL, window functions, pandas"
    assert form.initial["title"] == "Window functions in SQL"
    assert response.context["suggested_tags"] == ["SQL", "window functions", "pandas"]
    html = response.content.decode()
    assert (
        'value="analytics, SQL, window functions, pandas"' in html
        and "Tags suggested from your title and abstract: SQL, window functions, pandas." in html
    )
    assert "This field is required" not in html
    # Then proposing keeps them.
    del data["suggest_tags"]
    data["tags_text"] = form.initial["tags_text"]
    member_client.post("/sessions/propose/", data)
    assert sorted(Session.objects.get().tags.values_list("name", flat=True)) == [
        "SQL",
        "analytics",
        "pandas",
        "window functions",
    ]


def test_the_propose_page_offers_the_suggestion_button_after_the_default_one(member_client):
    html = member_client.get("/sessions/propose/").content.decode()
    propose = html.index('<button class="button button-primary" type="submit">Propose session')
    suggest = html.index('name="suggest_tags" value="1" formnovalidate>Suggest tags from the text')
    assert propose < suggest  # Enter in a field still proposes

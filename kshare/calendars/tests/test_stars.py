"""Stars (a personal interest in a session) and the "My agenda" page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory
from kshare.sessions import stars
from kshare.sessions.models import Star, State, Visibility
from kshare.sessions.tests.factories import (
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionHostFactory,
)
from kshare.web.tests.race import race

pytestmark = pytest.mark.django_db

THREADS = 10


def _starred(person) -> list[str]:
    return sorted(Star.objects.filter(person=person).values_list("session__title", flat=True))


# --- service -------------------------------------------------------------------------------


def test_star_set_is_idempotent(person):
    session = ScheduledSessionFactory()

    assert stars.star_set(session=session, person=person, on=True) is True
    assert stars.star_set(session=session, person=person, on=True) is True
    assert Star.objects.filter(session=session, person=person).count() == 1
    assert stars.star_set(session=session, person=person, on=False) is False
    assert stars.star_set(session=session, person=person, on=False) is False
    assert Star.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_stars_of_one_person_store_exactly_one():
    session, person = ScheduledSessionFactory(), PersonFactory()
    results: list[bool] = []

    errors = race(
        lambda i: results.append(stars.star_set(session=session, person=person, on=True)),
        threads=THREADS,
    )

    assert errors == []
    assert results == [True] * THREADS
    assert Star.objects.filter(session=session, person=person).count() == 1


# --- star / unstar view --------------------------------------------------------------------


def test_star_without_javascript_redirects_back_with_a_message(member_client, person):
    session = ScheduledSessionFactory(title="SQL windows")

    response = member_client.post(f"/calendar/star/{session.pk}/", {"star": "on"}, follow=True)

    assert response.redirect_chain == [(f"/sessions/{session.pk}/", 302)]
    assert _starred(person) == ["SQL windows"]
    page = response.content.decode()
    assert "“SQL windows” is starred: it is on your agenda and in your calendar feed." in page
    assert 'aria-pressed="true"' in page
    assert 'name="star" value="off"' in page


def test_star_returns_to_a_safe_next_url_only(member_client, person):
    session = ScheduledSessionFactory()

    back = member_client.post(
        f"/calendar/star/{session.pk}/", {"star": "on", "next": "/sessions/?page=2"}
    )
    away = member_client.post(
        f"/calendar/star/{session.pk}/", {"star": "off", "next": "https://evil.example/"}
    )

    assert back["Location"] == "/sessions/?page=2"
    assert away["Location"] == f"/sessions/{session.pk}/"


def test_star_with_htmx_swaps_the_button(member_client, person):
    session = ScheduledSessionFactory(title="SQL windows")

    response = member_client.post(
        f"/calendar/star/{session.pk}/", {"star": "on"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div class="star" id="star-{session.pk}">')
    assert 'aria-pressed="true"' in html
    assert "Starred: it is on your agenda and in your calendar feed." in html
    assert "<html" not in html
    unstar = member_client.post(
        f"/calendar/star/{session.pk}/",
        {"star": "off", "compact": "1"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert unstar.lstrip().startswith(f'<div class="star star-compact" id="star-{session.pk}">')
    assert 'aria-pressed="false"' in unstar
    assert _starred(person) == []


def test_star_on_an_invisible_session_is_404_and_stores_nothing(member_client, person):
    hidden = ScheduledSessionFactory(visibility=Visibility.INVITE_ONLY)

    assert member_client.post(f"/calendar/star/{hidden.pk}/", {"star": "on"}).status_code == 404
    assert member_client.post("/calendar/star/999999/", {"star": "on"}).status_code == 404
    assert Star.objects.count() == 0


def test_star_with_a_bad_value_is_400(member_client):
    session = ScheduledSessionFactory()

    response = member_client.post(f"/calendar/star/{session.pk}/", {"star": "maybe"})

    assert response.status_code == 400
    assert "Send star=on or star=off." in response.content.decode()
    assert Star.objects.count() == 0


def test_star_needs_post_and_sign_in(client, member_client):
    session = ScheduledSessionFactory()

    assert member_client.get(f"/calendar/star/{session.pk}/").status_code == 405
    member_client.logout()
    response = client.post(f"/calendar/star/{session.pk}/", {"star": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")
    assert Star.objects.count() == 0


def test_session_list_items_show_the_star_state(member_client, person):
    starred = ScheduledSessionFactory(title="Starred one")
    ScheduledSessionFactory(title="Other one")
    Star.objects.create(person=person, session=starred)

    page = member_client.get("/sessions/").content.decode()

    assert page.count('class="star star-compact"') == 2
    assert page.count('aria-pressed="true"') == 1
    starred_part = page.split(f'id="star-{starred.pk}"')[1]
    assert '<input type="hidden" name="star" value="off">' in starred_part


def test_session_page_shows_the_star_and_the_calendar_link(member_client, person):
    session = ScheduledSessionFactory()

    page = member_client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'id="star-{session.pk}"' in page
    assert 'aria-pressed="false"' in page.split(f'id="star-{session.pk}"')[1]

    Star.objects.create(person=person, session=session)
    page = member_client.get(f"/sessions/{session.pk}/").content.decode()
    assert 'aria-pressed="true"' in page.split(f'id="star-{session.pk}"')[1]


# --- My agenda -----------------------------------------------------------------------------


def test_agenda_lists_upcoming_starred_going_and_hosted_sessions(member_client, person):
    soon = timezone.now() + timedelta(days=2)
    star = ScheduledSessionFactory(title="Starred", start=soon)
    Star.objects.create(person=person, session=star)
    InvitationFactory(person=person, response="yes", session=ScheduledSessionFactory(title="Going"))
    InvitationFactory(
        person=person,
        response="yes",
        waitlisted_at=timezone.now(),
        session=ScheduledSessionFactory(title="Waiting"),
    )
    InvitationFactory(
        person=person, response="maybe", session=ScheduledSessionFactory(title="Perhaps")
    )
    SessionHostFactory(person=person, session=ScheduledSessionFactory(title="Mine", host=False))
    # Not on the agenda: past, cancelled, declined, unanswered, and someone else's.
    Star.objects.create(person=person, session=PastSessionFactory(title="Past"))
    Star.objects.create(
        person=person, session=ScheduledSessionFactory(title="Called off", state=State.CANCELLED)
    )
    InvitationFactory(person=person, response="no", session=ScheduledSessionFactory(title="No"))
    InvitationFactory(person=person, session=ScheduledSessionFactory(title="Pending"))
    ScheduledSessionFactory(title="Theirs")

    response = member_client.get("/calendar/agenda/")

    assert response.status_code == 200
    assert [s.title for s in response.context["sessions"]] == [
        "Starred",
        "Going",
        "Waiting",
        "Perhaps",
        "Mine",
    ]
    page = response.content.decode()
    assert page.count('<li class="chip">On the waiting list</li>') == 1
    assert page.count('<li class="chip">You host</li>') == 1
    assert page.count('<li class="chip">Going</li>') == 1
    assert page.count('<li class="chip">Maybe</li>') == 1
    assert 'aria-pressed="true"' in page.split(f'id="star-{star.pk}"')[1]
    assert page.count('aria-pressed="true"') == 1


def test_agenda_leaves_out_starred_sessions_that_became_invisible(member_client, person):
    hidden = ScheduledSessionFactory(title="Hidden", visibility=Visibility.INVITE_ONLY)
    Star.objects.create(person=person, session=hidden)

    response = member_client.get("/calendar/agenda/")

    assert list(response.context["sessions"]) == []
    assert "Nothing on your agenda yet." in response.content.decode()


def test_agenda_query_count_is_constant(member_client, person, django_assert_num_queries):
    def fill(n: int) -> None:
        for i in range(n):
            session = ScheduledSessionFactory()
            Star.objects.create(person=person, session=session)
            if i % 2:
                InvitationFactory(person=person, session=session, response="yes")

    fill(2)
    with CaptureQueriesContext(connection) as small:
        assert member_client.get("/calendar/agenda/").status_code == 200
    fill(8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(member_client.get("/calendar/agenda/").context["sessions"]) == 10
    fill(20)
    with django_assert_num_queries(len(small.captured_queries)):
        assert member_client.get("/calendar/agenda/?page=2").status_code == 200

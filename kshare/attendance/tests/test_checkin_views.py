"""Check-in pages: the signed link, the host's page and its QR code, "I'm here" on the session
page. Every refusal is a clear page with its status, and records nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kshare.attendance.checkin import checkin_qr_svg, checkin_token, checkin_url
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.sessions.models import Attendance, AttendanceChange, State, Visibility
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def running(**kwargs):
    """A session that started five minutes ago: check-in is open."""
    start = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    return ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45), **kwargs)


def starting_in(minutes: float, **kwargs):
    start = (timezone.now() + timedelta(minutes=minutes)).replace(microsecond=0)
    return ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45), **kwargs)


def link(session) -> str:
    return f"/check-in/{checkin_token(session)}/"


def html(response) -> str:
    return response.content.decode()


def title(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", html(response), re.S).group(1).strip()


def nothing_recorded() -> bool:
    return Attendance.objects.count() == 0 and AttendanceChange.objects.count() == 0


@pytest.fixture
def csrf_client(person):
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    return client


def post_with_csrf(client, path, data=None, **kwargs):
    """Post as a browser does: the form's page first (for the CSRF cookie and token)."""
    token = client.get("/").cookies.get("csrftoken") or client.cookies["csrftoken"]
    return client.post(path, data or {}, headers={"X-CSRFToken": token.value}, **kwargs)


# -- the signed link ------------------------------------------------------------------------------


def test_signed_out_the_link_leads_to_sign_in_and_back():
    session = running()
    response = Client().get(link(session))
    assert response.status_code == 302
    assert response["Location"] == f"/signin/?next={quote(link(session))}"


def test_get_shows_the_session_and_one_check_in_button_and_writes_nothing(member_client):
    session = running(title="Pairing on Rust")
    response = member_client.get(link(session))
    page = html(response)
    assert response.status_code == 200
    assert title(response) == "Pairing on Rust"
    above_footer = page.split("<footer", 1)[0]  # the footer holds the language switcher
    assert above_footer.count("<button") == 2  # "Check in", and "Sign out" in the header menu
    assert re.findall(r"<button[^>]*>([^<]*)</button>", above_footer) == ["Sign out", "Check in"]
    assert f'<form method="post" action="{link(session)}">' in page
    assert nothing_recorded()


def test_other_methods_are_refused_and_write_nothing(member_client):
    session = running()
    for method in ("put", "delete", "patch"):
        assert getattr(member_client, method)(link(session)).status_code == 405
    assert member_client.head(link(session)).status_code == 200
    assert nothing_recorded()


def test_post_checks_in_and_says_so(member_client, person):
    session = running(title="Pairing on Rust")
    response = member_client.post(link(session))
    assert response.status_code == 200
    assert "<h2>You're checked in to “Pairing on Rust”</h2>" in html(response)
    attendance = Attendance.objects.get()
    assert (attendance.session_id, attendance.person_id, attendance.method) == (
        session.pk,
        person.pk,
        "check_in",
    )
    assert list(AttendanceChange.objects.values_list("person", "by", "action", "method")) == [
        (person.pk, person.pk, "added", "check_in")
    ]


def test_a_second_check_in_says_when_and_writes_nothing(member_client):
    session = running()
    member_client.post(link(session))
    first = Attendance.objects.get()
    at = timezone.localtime(first.recorded_at, BERLIN).strftime("%H:%M")

    again = member_client.post(link(session))
    later_get = member_client.get(link(session))

    for response in (again, later_get):
        assert response.status_code == 200
        assert f"<h2>You were already checked in at {at}</h2>" in html(response)
        assert ">Check in</button>" not in html(response)
    assert (Attendance.objects.count(), AttendanceChange.objects.count()) == (1, 1)
    assert Attendance.objects.get().recorded_at == first.recorded_at


def test_the_check_in_form_is_csrf_protected(person):
    session = running()
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    assert client.post(link(session)).status_code == 403
    assert nothing_recorded()
    assert post_with_csrf(client, link(session)).status_code == 200
    assert Attendance.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_a_400_page(member_client, method):
    session = running()
    token = checkin_token(session)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "nonsense", token[:10], "a%00b", "x" * 10_000):
        response = getattr(member_client, method)(f"/check-in/{bad}/")
        assert response.status_code == 400
        assert title(response) == "This check-in link is not valid"
    assert nothing_recorded()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_link_is_a_410_page(member_client, method):
    start = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    session = ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45))
    response = getattr(member_client, method)(link(session))
    assert response.status_code == 410
    assert title(response) == "This check-in link has expired"
    assert nothing_recorded()


def test_a_link_made_before_a_reschedule_keeps_its_expiry(member_client):
    session = running()
    old_link = link(session)
    # Moved to yesterday: the link's session is over, whatever its token says.
    session.start -= timedelta(days=1)
    session.end -= timedelta(days=1)
    session.save()
    response = member_client.post(old_link)
    assert (response.status_code, title(response)) == (410, "This check-in link has expired")
    assert nothing_recorded()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cancelled_session_is_a_410_page(member_client, method):
    session = running(title="Pairing on Rust", state=State.CANCELLED)
    response = getattr(member_client, method)(link(session))
    assert response.status_code == 410
    assert title(response) == "This session was cancelled"
    assert "“Pairing on Rust” was cancelled, so there is nothing to check in to." in html(response)
    assert nothing_recorded()


@pytest.mark.parametrize("method", ["get", "post"])
def test_before_the_window_the_link_says_when_it_opens(member_client, method):
    session = starting_in(16)
    opens = timezone.localtime(session.start - timedelta(minutes=15), BERLIN)
    response = getattr(member_client, method)(link(session))
    assert response.status_code == 409
    assert title(response) == "Check-in has not opened yet"
    assert f"opens at {opens:%H:%M} on {opens.day} {opens:%B %Y}, 15 minutes before" in html(
        response
    )
    assert nothing_recorded()


def test_just_inside_the_window_the_link_checks_in(member_client):
    session = starting_in(14)
    assert member_client.post(link(session)).status_code == 200
    assert Attendance.objects.count() == 1


def test_a_proposed_session_takes_no_check_in(member_client):
    start = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    session = SessionFactory(start=start, title="Someday")
    response = member_client.post(link(session))
    assert (response.status_code, title(response)) == (409, "This session is not scheduled")
    assert nothing_recorded()


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_who_may_not_see_the_session_gets_a_404_page(member_client, method):
    session = running(visibility=Visibility.INVITE_ONLY)
    response = getattr(member_client, method)(link(session))
    assert response.status_code == 404
    assert title(response) == "You cannot check in to this session"
    assert nothing_recorded()


def test_an_invitee_of_an_invite_only_session_checks_in(member_client, person):
    session = running(visibility=Visibility.INVITE_ONLY)
    session.invitations.create(person=person)
    assert member_client.post(link(session)).status_code == 200
    assert list(Attendance.objects.values_list("session", "person")) == [(session.pk, person.pk)]


def test_a_link_checks_in_to_its_own_session_only(member_client, person):
    mine, other = running(), running()
    member_client.post(link(other))
    assert list(Attendance.objects.values_list("session", "person")) == [(other.pk, person.pk)]
    assert not Attendance.objects.filter(session=mine).exists()


def test_a_session_that_no_longer_exists_is_a_404_page(member_client):
    session = running()
    dead = link(session)
    session.delete()
    response = member_client.post(dead)
    assert (response.status_code, title(response)) == (404, "You cannot check in to this session")
    assert nothing_recorded()


# -- the host's page ------------------------------------------------------------------------------


def host_of(session):
    return session.host_links.get().person


def test_the_host_sees_the_qr_code_the_link_and_who_checked_in(client, settings):
    settings.SITE_URL = "https://kshare.example.com"
    session = running(title="Pairing on Rust")
    ada = PersonFactory(display_name="Ada Attendee")
    Attendance.objects.create(session=session, person=ada, method="remote")
    client.force_login(host_of(session))

    response = client.get(f"/sessions/{session.pk}/check-in/")

    page = html(response)
    assert response.status_code == 200
    assert title(response) == "Check in to “Pairing on Rust”"
    assert (
        f'<img src="/sessions/{session.pk}/check-in/qr.svg" alt="QR code of the check-in link '
        'for “Pairing on Rust”: scan it to check in"' in page
    )
    url = f"https://kshare.example.com/check-in/{checkin_token(session)}/"
    assert f'value="{url}" readonly>' in page
    assert '<span class="checkin-count">1</span>' in page
    assert "<span>Ada Attendee</span>" in page
    assert "Online (I&#x27;m here)" in page
    assert f'hx-get="/sessions/{session.pk}/check-in/people/" hx-trigger="every 5s"' in page
    assert 'role="note"' not in page  # inside the window: no note


def test_the_qr_code_is_the_signed_link(client, settings):
    settings.SITE_URL = "https://kshare.example.com"
    session = running(title="Pairing on Rust")
    client.force_login(host_of(session))
    response = client.get(f"/sessions/{session.pk}/check-in/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert html(response) == checkin_qr_svg(
        checkin_url(session), title="Check-in link of “Pairing on Rust”"
    )
    assert checkin_url(session) == f"https://kshare.example.com/check-in/{checkin_token(session)}/"


def test_before_the_window_the_host_page_says_when_it_opens(client):
    session = starting_in(60 * 24)
    opens = timezone.localtime(session.start - timedelta(minutes=15), BERLIN)
    client.force_login(host_of(session))
    page = html(client.get(f"/sessions/{session.pk}/check-in/"))
    assert f"Check-in opens at {opens:%H:%M} on {opens.day} {opens:%B %Y}" in page
    assert "qr.svg" in page  # the code can be prepared ahead


def test_after_the_end_the_host_page_has_no_code(client):
    start = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    session = ScheduledSessionFactory(start=start, end=start + timedelta(minutes=45))
    client.force_login(host_of(session))
    page = html(client.get(f"/sessions/{session.pk}/check-in/"))
    assert "The session is over: check-in is closed." in page
    assert "hx-trigger" not in page  # nothing to poll for any more
    assert "qr.svg" not in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]  # not the switcher's "next"
    assert "/check-in/" not in re.sub(r'hx-get="[^"]*"', "", main)


@pytest.mark.parametrize("who", ["organiser", "admin"])
def test_organisers_and_admins_open_the_host_page(client, who):
    session = running()
    if who == "organiser":
        reader = OrganiserFactory()
        session.programme.organisers.add(reader)
    else:
        reader = AdminFactory()
    client.force_login(reader)
    for path in ("", "qr.svg", "people/"):
        assert client.get(f"/sessions/{session.pk}/check-in/{path}").status_code == 200


def test_others_get_403_or_404(client):
    session = running()
    hidden = running(visibility=Visibility.INVITE_ONLY)
    client.force_login(PersonFactory())
    for path in ("", "qr.svg", "people/"):
        assert client.get(f"/sessions/{session.pk}/check-in/{path}").status_code == 403
        assert client.get(f"/sessions/{hidden.pk}/check-in/{path}").status_code == 404
    # Another programme's organiser is no organiser of this one.
    client.force_login(OrganiserFactory())
    assert client.get(f"/sessions/{session.pk}/check-in/").status_code == 403


def test_a_proposed_session_has_no_qr_code(client):
    session = SessionFactory()
    client.force_login(host_of(session))
    assert client.get(f"/sessions/{session.pk}/check-in/qr.svg").status_code == 404
    page = html(client.get(f"/sessions/{session.pk}/check-in/"))
    assert "This session is not scheduled yet" in page
    assert "qr.svg" not in page


def test_the_live_list_is_a_partial(client):
    session = running()
    Attendance.objects.create(session=session, person=PersonFactory(display_name="Ada"))
    client.force_login(host_of(session))
    response = client.get(f"/sessions/{session.pk}/check-in/people/")
    page = html(response)
    assert page.lstrip().startswith('<section class="card checkin-people" id="checkin-people"')
    assert "<html" not in page
    assert '<span class="checkin-count">1</span>' in page


def test_the_host_page_query_count_is_constant(client, django_assert_num_queries):
    small, big = running(), running()
    big.host_links.all().delete()
    host = host_of(small)
    big.host_links.create(person=host)
    for _ in range(30):
        Attendance.objects.create(session=big, person=PersonFactory())
    client.force_login(host)
    for path in ("", "people/"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/sessions/{small.pk}/check-in/{path}").status_code == 200
        with django_assert_num_queries(len(ctx.captured_queries)):
            assert client.get(f"/sessions/{big.pk}/check-in/{path}").status_code == 200


# -- "I'm here" on the session page ---------------------------------------------------------------


def test_the_session_page_offers_im_here_during_the_window(member_client):
    session = running()
    page = html(member_client.get(f"/sessions/{session.pk}/"))
    assert f'hx-post="/sessions/{session.pk}/here/" hx-target="#checkin"' in page
    assert ">I'm here</button>" in page
    assert "Check-in page with the QR code" not in page


@pytest.mark.parametrize("minutes", [16, -120])
def test_outside_the_window_there_is_no_im_here(member_client, minutes):
    session = starting_in(minutes)
    page = html(member_client.get(f"/sessions/{session.pk}/"))
    assert 'id="checkin"' not in page
    assert "here/" not in page


def test_the_host_sees_the_check_in_page_link_before_the_window(client):
    session = starting_in(60)
    client.force_login(host_of(session))
    page = html(client.get(f"/sessions/{session.pk}/"))
    assert f'<a href="/sessions/{session.pk}/check-in/">Check-in page with the QR code</a>' in page
    assert ">I'm here</button>" not in page


def test_im_here_with_htmx_swaps_the_card(member_client, person):
    session = running()
    response = member_client.post(f"/sessions/{session.pk}/here/", headers={"HX-Request": "true"})
    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div class="card" id="checkin">')
    assert "<html" not in page
    assert "<strong>You're checked in</strong>" in page
    assert ">I'm here</button>" not in page
    assert list(Attendance.objects.values_list("person", "method")) == [(person.pk, "remote")]
    assert list(AttendanceChange.objects.values_list("by", "method")) == [(person.pk, "remote")]


def test_im_here_without_javascript_reloads_the_page(member_client):
    session = running(title="Pairing on Rust")
    response = member_client.post(f"/sessions/{session.pk}/here/")
    assert (response.status_code, response["Location"]) == (302, f"/sessions/{session.pk}/")
    page = html(member_client.get(f"/sessions/{session.pk}/"))
    assert "You&#x27;re checked in to “Pairing on Rust”." in page
    assert "<strong>You're checked in</strong>" in page
    again = member_client.post(f"/sessions/{session.pk}/here/", follow=True)
    assert "You were already checked in at" in html(again)
    assert (Attendance.objects.count(), AttendanceChange.objects.count()) == (1, 1)


def test_im_here_outside_the_window_records_nothing(member_client):
    session = starting_in(16)
    response = member_client.post(f"/sessions/{session.pk}/here/")
    assert (response.status_code, title(response)) == (409, "Check-in has not opened yet")
    htmx = member_client.post(f"/sessions/{session.pk}/here/", headers={"HX-Request": "true"})
    assert (
        '<p class="message message-error" role="status">Check-in has not opened yet.</p>'
        in html(htmx)
    )
    cancelled = running(state=State.CANCELLED)
    response = member_client.post(f"/sessions/{cancelled.pk}/here/")
    assert (response.status_code, title(response)) == (410, "This session was cancelled")
    assert nothing_recorded()


def test_im_here_on_an_invisible_session_is_a_404(member_client):
    session = running(visibility=Visibility.INVITE_ONLY)
    assert member_client.post(f"/sessions/{session.pk}/here/").status_code == 404
    assert nothing_recorded()


def test_im_here_is_post_only(member_client):
    session = running()
    assert member_client.get(f"/sessions/{session.pk}/here/").status_code == 405
    assert nothing_recorded()


def test_the_session_page_query_count_does_not_depend_on_check_ins(
    member_client, django_assert_num_queries
):
    small, big = running(), running()
    for _ in range(30):
        Attendance.objects.create(session=big, person=PersonFactory())
    with CaptureQueriesContext(connection) as ctx:
        assert member_client.get(f"/sessions/{small.pk}/").status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert member_client.get(f"/sessions/{big.pk}/").status_code == 200

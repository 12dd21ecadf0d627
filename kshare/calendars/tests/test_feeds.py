"""Personal, programme and session feeds: what is in them, who gets them, how they answer."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.calendars.models import CalendarFeed
from kshare.calendars.tests.feed_support import (
    events,
    feed_of,
    parse,
    summaries,
    weekly_huddle,
)
from kshare.people.tests.factories import PersonFactory, TeamFactory
from kshare.programmes.models import Visibility as ProgrammeVisibility
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Invitation, SessionHost, Star, State, Visibility
from kshare.sessions.tests.factories import (
    AttendanceFactory,
    InvitationFactory,
    PastSessionFactory,
    ScheduledSessionFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db


def _feed_url(feed: CalendarFeed) -> str:
    return reverse("calendars:person_feed", args=[feed.token])


def _get(client, url, **headers):
    # Calendar clients never carry a session cookie.
    client.logout()
    return client.get(url, headers=headers)


# --- personal feed: contents ---------------------------------------------------------------


def test_person_feed_holds_hosted_attended_answered_and_starred_sessions(client, person):
    feed = feed_of(person)
    ScheduledSessionFactory(title="I host", host=person)
    AttendanceFactory(person=person, session=PastSessionFactory(title="I attended"))
    InvitationFactory(person=person, session=ScheduledSessionFactory(title="Yes"), response="yes")
    InvitationFactory(
        person=person, session=ScheduledSessionFactory(title="Maybe"), response="maybe"
    )
    InvitationFactory(
        person=person,
        session=ScheduledSessionFactory(title="Waitlisted"),
        response="yes",
        waitlisted_at=timezone.now(),
    )
    Star.objects.create(person=person, session=ScheduledSessionFactory(title="Starred"))
    # Not mine: no answer, a "no", someone else's session, a proposal, and a session too old.
    InvitationFactory(person=person, session=ScheduledSessionFactory(title="Pending"))
    InvitationFactory(person=person, session=ScheduledSessionFactory(title="No"), response="no")
    ScheduledSessionFactory(title="Someone else's")
    SessionFactory(title="Proposal", host=person)
    old = timezone.now() - timedelta(days=91)
    PastSessionFactory(title="Too old", host=person, start=old - timedelta(hours=1), end=old)

    cal = parse(_get(client, _feed_url(feed)))

    assert sorted(summaries(cal)) == sorted(
        ["I host", "I attended", "Yes", "Maybe", "Waitlisted", "Starred"]
    )
    assert str(cal["X-WR-CALNAME"]) == "kshare: Mia Member"


def test_person_feed_events_have_uid_sequence_and_status(client, person):
    feed = feed_of(person)
    scheduled = ScheduledSessionFactory(title="On", host=person, sequence=2)
    cancelled = ScheduledSessionFactory(title="Off", host=person, state=State.CANCELLED, sequence=1)
    held = PastSessionFactory(title="Done", host=person)

    cal = parse(_get(client, _feed_url(feed)))

    found = {str(e["SUMMARY"]): e for e in events(cal)}
    assert {name: str(e["UID"]) for name, e in found.items()} == {
        "On": f"session-{scheduled.pk}@127.0.0.1",
        "Off": f"session-{cancelled.pk}@127.0.0.1",
        "Done": f"session-{held.pk}@127.0.0.1",
    }
    assert {name: e["SEQUENCE"] for name, e in found.items()} == {"On": 2, "Off": 1, "Done": 0}
    assert {name: str(e["STATUS"]) for name, e in found.items()} == {
        "On": "CONFIRMED",
        "Off": "CANCELLED",
        "Done": "CONFIRMED",
    }
    assert found["On"]["DTSTART"].dt == scheduled.start
    assert found["On"]["DTEND"].dt == scheduled.end
    assert str(found["On"]["URL"]) == f"http://127.0.0.1:8000/sessions/{scheduled.pk}/"


def test_person_feed_leaves_out_sessions_the_person_can_no_longer_see(client, person):
    """A star or an old answer does not leak a session that became invisible to them."""
    feed = feed_of(person)
    team = TeamFactory()
    other_team_only = ScheduledSessionFactory(title="Team only", visibility=Visibility.TEAMS)
    other_team_only.teams.add(team)
    Star.objects.create(person=person, session=other_team_only)
    hidden_programme = ProgrammeFactory(visibility=ProgrammeVisibility.TEAMS)
    Star.objects.create(
        person=person,
        session=ScheduledSessionFactory(title="Hidden programme", programme=hidden_programme),
    )
    Star.objects.create(person=person, session=ScheduledSessionFactory(title="Visible"))

    cal = parse(_get(client, _feed_url(feed)))

    assert summaries(cal) == ["Visible"]


def test_a_token_shows_its_own_person_only(client, person):
    """Another person's token gives their sessions, never ``person``'s invite-only ones."""
    mine = feed_of(person)
    other = PersonFactory(display_name="Otto Other")
    theirs = feed_of(other)
    secret = ScheduledSessionFactory(title="Invite-only", visibility=Visibility.INVITE_ONLY)
    InvitationFactory(person=person, session=secret, response="yes")
    Star.objects.create(person=other, session=secret)  # starred earlier, no longer invited
    Star.objects.create(person=other, session=ScheduledSessionFactory(title="Public"))

    assert summaries(parse(_get(client, _feed_url(mine)))) == ["Invite-only"]
    other_cal = parse(_get(client, _feed_url(theirs)))
    assert summaries(other_cal) == ["Public"]
    assert str(other_cal["X-WR-CALNAME"]) == "kshare: Otto Other"


def test_person_feed_includes_rhythm_only_when_chosen_company_wide_and_own_team(client):
    team, other_team = TeamFactory(), TeamFactory()
    person = PersonFactory(team=team)
    feed = feed_of(person)
    ScheduledSessionFactory(title="Talk", host=person)
    weekly_huddle(tz_name="Europe/Amsterdam", first_monday=date(2026, 3, 2))
    weekly_huddle(
        tz_name="Europe/Amsterdam", first_monday=date(2026, 3, 2), team=team, name="Team sync"
    )
    weekly_huddle(
        tz_name="Europe/Amsterdam",
        first_monday=date(2026, 3, 2),
        team=other_team,
        name="Other sync",
    )

    assert summaries(parse(_get(client, _feed_url(feed)))) == ["Talk"]
    feed.include_rhythm = True
    feed.save()
    assert sorted(summaries(parse(_get(client, _feed_url(feed))))) == [
        "Talk",
        "Team sync",
        "Weekly Huddle",
    ]


# --- personal feed: addresses and HTTP ------------------------------------------------------


def test_unknown_and_revoked_tokens_answer_404(client, person):
    feed = feed_of(person)
    old_url = _feed_url(feed)
    assert _get(client, old_url).status_code == 200

    feed.token = "new-token"
    feed.save()

    assert _get(client, old_url).status_code == 404
    assert _get(client, "/calendar/feed/not-a-token.ics").status_code == 404
    assert _get(client, "/calendar/feed/new-token.ics").status_code == 200
    feed.delete()
    assert _get(client, "/calendar/feed/new-token.ics").status_code == 404


def test_feed_of_a_deactivated_person_answers_404(client, person):
    feed = feed_of(person)
    person.is_active = False
    person.save()

    assert _get(client, _feed_url(feed)).status_code == 404


def test_person_feed_headers_and_conditional_get(client, person):
    feed = feed_of(person)
    ScheduledSessionFactory(host=person)

    response = _get(client, _feed_url(feed))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["Content-Disposition"] == 'inline; filename="kshare.ics"'
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    etag = response["ETag"]
    again = _get(client, _feed_url(feed), if_none_match=etag)
    assert again.status_code == 304
    assert again.content == b""
    ScheduledSessionFactory(host=person)
    changed = _get(client, _feed_url(feed), if_none_match=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_feed_is_cached_and_tagged_per_language(client, person):
    feed = feed_of(person)
    ScheduledSessionFactory(host=person, call_url="https://meet.example.com/abc")

    english = _get(client, _feed_url(feed), accept_language="en")
    german = _get(client, _feed_url(feed), accept_language="de")

    assert english["ETag"] != german["ETag"]
    assert b"LABEL=Join the call" in english.content
    assert b"LABEL=Join the call" not in german.content
    # Each language's ETag answers 304 in that language only.
    assert (
        _get(
            client, _feed_url(feed), accept_language="de", if_none_match=german["ETag"]
        ).status_code
        == 304
    )
    assert (
        _get(
            client, _feed_url(feed), accept_language="en", if_none_match=german["ETag"]
        ).status_code
        == 200
    )


def test_person_feed_answers_head_and_refuses_post(client, person):
    feed = feed_of(person)
    client.logout()

    head = client.head(_feed_url(feed))
    assert head.status_code == 200
    assert head["Content-Type"] == "text/calendar; charset=utf-8"
    assert client.post(_feed_url(feed)).status_code == 405


def test_person_feed_query_count_is_constant(client, django_assert_num_queries):
    team = TeamFactory()
    person = PersonFactory(team=team)
    feed = feed_of(person, include_rhythm=True)
    weekly_huddle(
        tz_name="Europe/Amsterdam", first_monday=date(2026, 3, 2), cancelled=date(2026, 3, 9)
    )

    def fill(n: int) -> None:
        for i in range(n):
            session = ScheduledSessionFactory(host=person if i % 2 else None)
            Star.objects.create(person=person, session=session)
            weekly_huddle(
                tz_name="America/New_York",
                first_monday=date(2026, 3, 2),
                team=team,
                moved=(date(2026, 3, 9), date(2026, 3, 10), 11),
                name=f"Sync {i}",
            )

    # The feed and its person, the sessions, the rhythm events and their exceptions.
    client.logout()
    fill(2)
    with django_assert_num_queries(4):
        assert len(events(parse(client.get(_feed_url(feed))))) == 1 + 2 + 2 * 2
    fill(8)
    with django_assert_num_queries(4):
        assert len(events(parse(client.get(_feed_url(feed))))) == 1 + 10 + 10 * 2


# --- programme feed ------------------------------------------------------------------------


def test_programme_feed_for_a_signed_in_person(member_client, person):
    programme = ProgrammeFactory(name="Tech Talks", slug="tech-talks")
    ScheduledSessionFactory(title="Public talk", programme=programme)
    PastSessionFactory(title="Held talk", programme=programme)
    ScheduledSessionFactory(title="Cancelled talk", programme=programme, state=State.CANCELLED)
    ScheduledSessionFactory(
        title="Invite-only", programme=programme, visibility=Visibility.INVITE_ONLY
    )
    invited = ScheduledSessionFactory(
        title="Invited", programme=programme, visibility=Visibility.INVITE_ONLY
    )
    InvitationFactory(session=invited, person=person)
    SessionFactory(title="Proposal", programme=programme)
    ScheduledSessionFactory(title="Other programme")

    response = member_client.get("/calendar/programme/tech-talks.ics")

    cal = parse(response)
    assert str(cal["X-WR-CALNAME"]) == "Tech Talks"
    assert sorted(summaries(cal)) == ["Cancelled talk", "Held talk", "Invited", "Public talk"]
    status = {str(e["SUMMARY"]): str(e["STATUS"]) for e in events(cal)}
    assert status["Cancelled talk"] == "CANCELLED"
    assert response["Content-Disposition"] == 'inline; filename="tech-talks.ics"'


def test_programme_feed_with_a_feed_token_for_calendar_clients(client, person):
    programme = ProgrammeFactory(name="Tech Talks", slug="tech-talks")
    invited = ScheduledSessionFactory(
        title="Invited", programme=programme, visibility=Visibility.INVITE_ONLY
    )
    InvitationFactory(session=invited, person=person)
    ScheduledSessionFactory(
        title="Not invited", programme=programme, visibility=Visibility.INVITE_ONLY
    )
    feed = feed_of(person)

    cal = parse(_get(client, f"/calendar/programme/tech-talks.ics?token={feed.token}"))

    assert summaries(cal) == ["Invited"]


def test_programme_feed_refuses_bad_tokens_and_invisible_programmes(client, person):
    ProgrammeFactory(slug="open")
    team_only = ProgrammeFactory(slug="team-only", visibility=ProgrammeVisibility.TEAMS)
    team_only.teams.add(TeamFactory())
    feed = feed_of(person)

    assert _get(client, "/calendar/programme/open.ics?token=wrong").status_code == 404
    assert _get(client, "/calendar/programme/open.ics?token=").status_code == 404
    assert _get(client, f"/calendar/programme/team-only.ics?token={feed.token}").status_code == 404
    assert _get(client, f"/calendar/programme/missing.ics?token={feed.token}").status_code == 404
    assert _get(client, f"/calendar/programme/open.ics?token={feed.token}").status_code == 200
    client.force_login(person)
    assert client.get("/calendar/programme/team-only.ics").status_code == 404
    # A revoked token stops the programme feeds too.
    feed.delete()
    assert _get(client, f"/calendar/programme/open.ics?token={feed.token}").status_code == 404


def test_programme_feed_without_sign_in_or_token_goes_to_sign_in(client):
    ProgrammeFactory(slug="open")

    response = client.get("/calendar/programme/open.ics")

    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/calendar/programme/open.ics"


def test_programme_feed_query_count_is_constant(member_client, django_assert_num_queries):
    programme = ProgrammeFactory(slug="busy")
    for _ in range(2):
        ScheduledSessionFactory(programme=programme)
    with CaptureQueriesContext(connection) as small:
        assert len(events(parse(member_client.get("/calendar/programme/busy.ics")))) == 2
    for _ in range(8):
        ScheduledSessionFactory(programme=programme)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(events(parse(member_client.get("/calendar/programme/busy.ics")))) == 10


# --- session download ----------------------------------------------------------------------


def test_session_ics_download(member_client):
    session = ScheduledSessionFactory(title="SQL windows", location="Room 4")

    response = member_client.get(f"/calendar/session/{session.pk}.ics")

    cal = parse(response)
    assert response["Content-Disposition"] == f'attachment; filename="session-{session.pk}.ics"'
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "SQL windows"
    (event,) = events(cal)
    assert (str(event["SUMMARY"]), str(event["LOCATION"])) == ("SQL windows", "Room 4")
    assert event["DTSTART"].dt == session.start


def test_session_ics_is_404_when_invisible_missing_or_not_scheduled(member_client):
    hidden = ScheduledSessionFactory(visibility=Visibility.INVITE_ONLY)
    proposal = SessionFactory(start=timezone.now() + timedelta(days=3))

    assert member_client.get(f"/calendar/session/{hidden.pk}.ics").status_code == 404
    assert member_client.get("/calendar/session/999999.ics").status_code == 404
    response = member_client.get(f"/calendar/session/{proposal.pk}.ics")
    assert response.status_code == 404
    assert "not scheduled yet" in response.content.decode()


def test_session_ics_needs_sign_in(client):
    session = ScheduledSessionFactory()

    response = client.get(f"/calendar/session/{session.pk}.ics")

    assert response.status_code == 302
    assert response["Location"] == f"/signin/?next=/calendar/session/{session.pk}.ics"


def test_session_page_links_to_the_ics_download(member_client):
    session = ScheduledSessionFactory()

    page = member_client.get(f"/sessions/{session.pk}/").content.decode()

    assert f'href="/calendar/session/{session.pk}.ics"' in page


# --- subscribe page ------------------------------------------------------------------------


def test_subscribe_page_without_a_feed_offers_to_create_one(member_client, person):
    response = member_client.get("/calendar/subscribe/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="create"' in page
    assert "webcal://" not in page
    assert CalendarFeed.objects.count() == 0


def test_create_shows_webcal_and_https_addresses(member_client, person, settings):
    settings.SITE_URL = "https://kshare.example.com"
    ProgrammeFactory(name="Tech Talks", slug="tech-talks")

    response = member_client.post("/calendar/subscribe/", {"action": "create"})

    assert response.status_code == 302
    assert response["Location"] == "/calendar/subscribe/"
    feed = CalendarFeed.objects.get(person=person)
    page = member_client.get("/calendar/subscribe/").content.decode()
    assert f'href="webcal://kshare.example.com/calendar/feed/{feed.token}.ics"' in page
    assert f'value="https://kshare.example.com/calendar/feed/{feed.token}.ics"' in page
    assert (
        f'href="webcal://kshare.example.com/calendar/programme/tech-talks.ics?token={feed.token}"'
        in page
    )


def test_create_twice_keeps_the_token(member_client, person):
    member_client.post("/calendar/subscribe/", {"action": "create"})
    token = CalendarFeed.objects.get(person=person).token
    member_client.post("/calendar/subscribe/", {"action": "create"})

    assert list(CalendarFeed.objects.values_list("token", flat=True)) == [token]


def test_reset_replaces_the_token_and_the_old_address_stops(member_client, person, client):
    feed = feed_of(person)
    old_url = _feed_url(feed)

    member_client.post("/calendar/subscribe/", {"action": "reset"})

    feed.refresh_from_db()
    assert _feed_url(feed) != old_url
    assert _get(client, old_url).status_code == 404
    assert _get(client, _feed_url(feed)).status_code == 200


def test_revoke_deletes_the_feed(member_client, person):
    feed = feed_of(person)
    url = _feed_url(feed)

    member_client.post("/calendar/subscribe/", {"action": "revoke"})

    assert CalendarFeed.objects.count() == 0
    member_client.logout()
    assert member_client.get(url).status_code == 404


def test_include_rhythm_toggle(member_client, person):
    member_client.post("/calendar/subscribe/", {"action": "settings", "include_rhythm": "on"})
    assert CalendarFeed.objects.get(person=person).include_rhythm is True

    member_client.post("/calendar/subscribe/", {"action": "settings"})
    assert CalendarFeed.objects.get(person=person).include_rhythm is False


def test_unknown_subscribe_action_is_a_400_that_changes_nothing(member_client, person):
    feed = feed_of(person)

    response = member_client.post("/calendar/subscribe/", {"action": "explode"})

    assert response.status_code == 400
    assert list(CalendarFeed.objects.values_list("token", flat=True)) == [feed.token]


def test_subscribe_page_needs_sign_in(client):
    response = client.get("/calendar/subscribe/")

    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/calendar/subscribe/"


def test_subscribe_page_query_count_is_constant(member_client, person, django_assert_num_queries):
    feed_of(person)
    for _ in range(2):
        ProgrammeFactory()
    with CaptureQueriesContext(connection) as small:
        assert member_client.get("/calendar/subscribe/").status_code == 200
    for _ in range(8):
        ProgrammeFactory()
    with django_assert_num_queries(len(small.captured_queries)):
        assert member_client.get("/calendar/subscribe/").status_code == 200


def test_host_link_in_feed_survives_cohost(client, person):
    """A co-host's feed has the session too (hosting covers both roles)."""
    session = ScheduledSessionFactory(title="Shared")
    SessionHost.objects.create(session=session, person=person, role="cohost")
    feed = feed_of(person)

    assert summaries(parse(_get(client, _feed_url(feed)))) == ["Shared"]


def test_declining_removes_the_session_from_the_feed(client, person):
    feed = feed_of(person)
    invitation = InvitationFactory(person=person, response="yes")
    assert len(events(parse(_get(client, _feed_url(feed))))) == 1

    Invitation.objects.filter(pk=invitation.pk).update(response="no")

    assert events(parse(_get(client, _feed_url(feed)))) == []


def test_programme_page_links_to_its_feed(member_client):
    ProgrammeFactory(slug="tech-talks")

    page = member_client.get("/programmes/tech-talks/").content.decode()

    assert 'href="/calendar/programme/tech-talks.ics"' in page


# --- personal feed: cached bytes and conditional requests -----------------------------------


def test_an_unchanged_feed_answers_304_without_building_it(client, person, monkeypatch):
    feed = feed_of(person)
    ScheduledSessionFactory(host=person)
    etag = _get(client, _feed_url(feed))["ETag"]

    def fail(**kwargs):
        raise AssertionError("the feed was built for a 304")

    monkeypatch.setattr("kshare.calendars.ical.feed_calendar", fail)
    assert _get(client, _feed_url(feed), if_none_match=etag).status_code == 304


def test_cached_feed_follows_every_change_of_what_it_shows(client, person):
    feed = feed_of(person)
    session = ScheduledSessionFactory(host=person, title="Before")
    starred = ScheduledSessionFactory(title="Starred")
    Star.objects.create(person=person, session=starred)
    programme = session.programme
    assert summaries(parse(_get(client, _feed_url(feed)))) == ["Before", "Starred"]

    session.title = "After"
    session.save()
    assert summaries(parse(_get(client, _feed_url(feed)))) == ["After", "Starred"]
    Star.objects.filter(person=person).delete()  # a session leaves the feed
    assert summaries(parse(_get(client, _feed_url(feed)))) == ["After"]
    programme.name = "Renamed programme"
    programme.save()
    assert "Renamed programme" in _get(client, _feed_url(feed)).content.decode()
    # A change no signal announces (QuerySet.update) shows as well: the rows are the key.
    type(session).objects.filter(pk=session.pk).update(sequence=7)
    assert "SEQUENCE:7" in _get(client, _feed_url(feed)).content.decode()


def test_two_people_never_get_each_others_cached_feed(client, person):
    other = PersonFactory(display_name="Otto Other")
    shared = ScheduledSessionFactory(title="Both")
    mine = ScheduledSessionFactory(title="Only mine", visibility=Visibility.INVITE_ONLY)
    InvitationFactory(session=mine, person=person, response="yes")
    for who in (person, other):
        Star.objects.create(person=who, session=shared)
    my_feed, their_feed = feed_of(person), feed_of(other)

    assert summaries(parse(_get(client, _feed_url(my_feed)))) == ["Both", "Only mine"]
    theirs = _get(client, _feed_url(their_feed))
    assert summaries(parse(theirs)) == ["Both"]
    assert "Otto Other" in theirs.content.decode()
    assert "Mia Member" not in theirs.content.decode()

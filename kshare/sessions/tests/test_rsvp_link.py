"""Answering from the RSVP link in the mail, without signing in; and the bad links."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client, override_settings
from django.utils import timezone

from kshare.people.tests.factories import PersonFactory
from kshare.sessions import services
from kshare.sessions.invitations import invitations_create, rsvp_set
from kshare.sessions.models import Invitation, State
from kshare.sessions.rsvp_tokens import (
    RSVP_MAX_AGE,
    RSVP_SALT,
    RSVPTokenExpired,
    RSVPTokenInvalid,
    rsvp_token,
    rsvp_token_read,
)
from kshare.sessions.tests.factories import InvitationFactory, ScheduledSessionFactory
from kshare.sessions.tests.test_invitations import calendar_of, host_of, mime, text_body

pytestmark = pytest.mark.django_db


def url(invitation, answer=None):
    path = f"/sessions/rsvp/{rsvp_token(invitation)}/"
    return f"{path}?answer={answer}" if answer else path


@pytest.fixture
def anonymous():
    return Client(enforce_csrf_checks=True)


def post_answer(client, path, response):
    """Submit the confirm form as a browser would: GET for the CSRF token, then POST."""
    page = client.get(path)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return client.post(path, {"csrfmiddlewaretoken": token.group(1), "response": response})


def html(response) -> str:
    return response.content.decode()


# -- tokens ---------------------------------------------------------------------------------------


def test_token_round_trip_and_tampering():
    invitation = InvitationFactory()
    token = rsvp_token(invitation)
    assert rsvp_token_read(token) == (invitation.pk, invitation.person_id)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "nonsense", "", token + "x"):
        with pytest.raises(RSVPTokenInvalid):
            rsvp_token_read(bad)
    # Signed by kshare but for another purpose (another salt): not an RSVP token.
    with pytest.raises(RSVPTokenInvalid):
        rsvp_token_read(signing.dumps([invitation.pk, invitation.person_id], salt="other"))
    with pytest.raises(RSVPTokenInvalid):
        rsvp_token_read(signing.dumps({"i": 1}, salt=RSVP_SALT))


def test_token_expires_after_the_max_age(monkeypatch):
    invitation = InvitationFactory()
    long_ago = time.time() - RSVP_MAX_AGE.total_seconds() - 60
    monkeypatch.setattr(time, "time", lambda: long_ago)
    token = rsvp_token(invitation)
    monkeypatch.undo()
    with pytest.raises(RSVPTokenExpired):
        rsvp_token_read(token)


# -- the page -------------------------------------------------------------------------------------


def test_get_shows_the_question_and_changes_nothing(anonymous):
    invitation = InvitationFactory(session__title="Intro to SQL", person__display_name="Gus")
    response = anonymous.get(url(invitation, "maybe"))
    assert response.status_code == 200
    page = html(response)
    assert "<h1>Intro to SQL</h1>" in page
    assert "<legend>Gus, will you come?</legend>" in page
    assert 'value="maybe" checked>' in page
    assert 'value="yes" checked>' not in page
    invitation.refresh_from_db()
    assert (invitation.response, invitation.responded_at) == ("pending", None)


def test_get_shows_the_answer_so_far_with_the_waitlist_position(anonymous):
    session = ScheduledSessionFactory(capacity=1)
    InvitationFactory(session=session, response="yes")
    invitation = InvitationFactory(session=session)
    rsvp_set(session=session, person=invitation.person, response="yes")
    page = html(anonymous.get(url(invitation, "no")))
    assert "<p>Your answer so far: <strong>Going</strong> (on the waitlist, number 1).</p>" in page
    assert 'value="no" checked>' in page
    assert "Your answer so far" not in html(anonymous.get(url(InvitationFactory())))


def test_post_records_the_answer_without_signing_in(anonymous):
    invitation = InvitationFactory()
    response = post_answer(anonymous, url(invitation, "yes"), "yes")
    assert response.status_code == 200
    assert "<h2>You are going — see you there!</h2>" in html(response)
    invitation.refresh_from_db()
    assert invitation.response == "yes"
    response = post_answer(anonymous, url(invitation), "no")
    assert "<h2>You are not going</h2>" in html(response)
    invitation.refresh_from_db()
    assert invitation.response == "no"


def test_post_to_a_full_session_shows_the_waitlist_position(anonymous):
    session = ScheduledSessionFactory(capacity=1)
    InvitationFactory(session=session, response="yes")
    InvitationFactory(session=session, response="yes", waitlisted_at=timezone.now())
    invitation = InvitationFactory(session=session)
    response = post_answer(anonymous, url(invitation, "yes"), "yes")
    assert response.status_code == 200
    assert "<h2>You are on the waitlist, number 2</h2>" in html(response)


def test_post_without_csrf_token_is_refused(anonymous):
    invitation = InvitationFactory()
    response = anonymous.post(url(invitation), {"response": "yes"})
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_post_with_a_bad_answer_is_a_400_with_a_message(anonymous):
    invitation = InvitationFactory()
    response = post_answer(anonymous, url(invitation), "definitely")
    assert response.status_code == 400
    assert '<p class="message message-error" role="alert">Answer yes, maybe or no.</p>' in html(
        response
    )
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_tampered_link_is_a_clear_400_page(anonymous):
    invitation = InvitationFactory()
    path = url(invitation)
    # One character of the signature changed (the path's last character is "/").
    tampered = path[:-3] + ("Z" if path[-3] != "Z" else "Y") + path[-2:]
    for bad in (tampered, "/sessions/rsvp/not-a-token/"):
        response = anonymous.get(bad)
        assert response.status_code == 400
        assert "<h1>This RSVP link is not valid</h1>" in html(response)
        response = anonymous.post(bad, {"response": "yes"})
        assert response.status_code in (400, 403)
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_expired_link_is_a_clear_410_page(anonymous, monkeypatch):
    invitation = InvitationFactory()
    long_ago = time.time() - RSVP_MAX_AGE.total_seconds() - 60
    monkeypatch.setattr(time, "time", lambda: long_ago)
    path = url(invitation, "yes")
    monkeypatch.undo()
    response = anonymous.get(path)
    assert response.status_code == 410
    assert "<h1>This RSVP link has expired</h1>" in html(response)


def test_link_of_a_session_that_has_ended_is_expired(anonymous):
    invitation = InvitationFactory(
        session__start=(timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    )
    response = anonymous.get(url(invitation, "yes"))
    assert response.status_code == 410
    assert "the session is over, so it takes no more answers." in html(response)


def test_link_of_a_cancelled_session_says_so(anonymous):
    invitation = InvitationFactory(session__title="Kafka basics")
    path = url(invitation, "yes")
    page = anonymous.get(path)
    services.session_cancel(session=invitation.session, by=host_of(invitation.session))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html(page)).group(1)
    response = anonymous.post(path, {"csrfmiddlewaretoken": csrf, "response": "yes"})
    assert response.status_code == 410
    assert "<h1>This session was cancelled</h1>" in html(response)
    assert "“Kafka basics” was cancelled, so there is nothing to answer." in html(response)
    invitation.refresh_from_db()
    assert invitation.response == "pending"


def test_link_of_a_deleted_invitation_is_404(anonymous):
    invitation = InvitationFactory()
    path = url(invitation)
    invitation.delete()
    assert anonymous.get(path).status_code == 404


def test_link_of_someone_else_signed_for_another_person_is_invalid(anonymous):
    invitation = InvitationFactory()
    other = PersonFactory()
    token = signing.dumps([invitation.pk, other.pk], salt=RSVP_SALT)
    assert anonymous.get(f"/sessions/rsvp/{token}/").status_code == 404


def test_rsvp_to_a_cancelled_session_in_the_app_is_a_clear_message(member_client, person):
    session = ScheduledSessionFactory(state=State.CANCELLED)
    response = member_client.post(f"/sessions/{session.pk}/rsvp/", {"response": "yes"}, follow=True)
    assert response.status_code == 200
    assert (
        '<p class="message message-error">This session was cancelled, so it takes no answers.</p>'
        in html(response)
    )
    assert not Invitation.objects.filter(person=person).exists()


# -- end to end through a real SMTP server --------------------------------------------------------


def test_the_invitation_arrives_by_smtp_and_its_link_records_the_answer(
    smtp_server, django_capture_on_commit_callbacks, anonymous, settings
):
    settings.SITE_URL = "https://kshare.example.com"
    session = ScheduledSessionFactory(title="Observability 101", capacity=10)
    guest = PersonFactory(email="guest@example.com", display_name="Gus Guest")
    with (
        override_settings(MAILERS=smtp_server.mailers),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invitations_create(session=session, by=host_of(session), people=[guest])

    assert mail.outbox == []  # it went through SMTP, not the in-memory backend
    [received] = smtp_server.messages
    message = mime(received.as_bytes())
    assert message["To"] == "guest@example.com"
    assert message["Subject"].startswith("Invitation: Observability 101 — ")
    (method, charset), cal = calendar_of(received.as_bytes())
    assert (method, charset, cal["METHOD"]) == ("REQUEST", "utf-8", "REQUEST")
    [event] = cal.walk("VEVENT")
    assert (str(event["UID"]), event["SEQUENCE"]) == (
        f"session-{session.pk}@kshare.example.com",
        0,
    )
    assert [(str(a), a.params["ROLE"], a.params["PARTSTAT"]) for a in event["ATTENDEE"]] == [
        (f"mailto:{host_of(session).email}", "CHAIR", "ACCEPTED"),
        ("mailto:guest@example.com", "REQ-PARTICIPANT", "NEEDS-ACTION"),
    ]

    body = text_body(received.as_bytes())
    link = re.search(r"^Maybe: (\S+)$", body, re.MULTILINE).group(1)
    assert link.startswith("https://kshare.example.com/sessions/rsvp/")
    path = link.removeprefix("https://kshare.example.com")
    page = anonymous.get(path)
    assert page.status_code == 200
    assert 'value="maybe" checked>' in html(page)
    response = post_answer(anonymous, path, "maybe")
    assert response.status_code == 200
    assert "<h2>Your answer: maybe</h2>" in html(response)
    assert Invitation.objects.get(person=guest).response == Invitation.Response.MAYBE

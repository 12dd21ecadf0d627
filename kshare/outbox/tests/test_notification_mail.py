"""Notification mail: the installation's sender identity, one-click unsubscribe (RFC 8058) and a
footer with the person's notification settings; a category turned off is not sent at all."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client, override_settings
from django.urls import reverse

from kshare.core.tests.daytime import days_ahead_at
from kshare.library.catchup import catchup_subscription_set
from kshare.library.models import CatchUpSubscription
from kshare.outbox.categories import CATEGORIES, KIND_CATEGORIES, category_for
from kshare.outbox.models import MailOptOut, OutboxMessage
from kshare.outbox.preferences import (
    mail_category_set,
    unsubscribe_token,
    unsubscribe_token_read,
)
from kshare.outbox.services import mail_queue
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.scheduling.reminders.models import Reminder
from kshare.scheduling.reminders.services import reminders_send_due
from kshare.sessions.services import session_schedule
from kshare.sessions.tests.factories import InvitationFactory, SessionFactory

pytestmark = pytest.mark.django_db

SITE = "https://kshare.acme.example"
LINK = re.compile(r"https?://[^\s\"<]+")


def _received(smtp_server, index: int = 0) -> email.message.EmailMessage:
    # The bytes as sent, not aiosmtpd's re-serialised copy (which folds long lines again).
    wire = smtp_server.raw[index].replace(b"\r\n", b"\n")
    return email.message_from_bytes(wire, policy=email.policy.default)


def _session_with_invitee_reminders(*invitees: str):
    """A session 20 days ahead whose programme sends invitees one reminder a day before."""
    host = PersonFactory(email="hal@acme.example", display_name="Hal Host")
    programme = ProgrammeFactory(
        name="Tech talks",
        slug="tech-talks",
        host_reminder_days="",
        invitee_reminder_hours="24",
        nudge_days=0,
    )
    session = SessionFactory(title="Pandas tricks", host=host, programme=programme)
    start = days_ahead_at(20)
    session = session_schedule(
        session=session, start=start, end=start + timedelta(minutes=45), by=host
    ).session
    people = []
    for address in invitees:
        person = PersonFactory(email=address, display_name=address.split("@")[0].title())
        InvitationFactory(session=session, person=person, response="yes")
        people.append(person)
    reminder = Reminder.objects.get(session=session, kind="invitee")
    return people, reminder.due_at + timedelta(minutes=1)


@override_settings(
    SITE_URL=SITE,
    DEFAULT_FROM_EMAIL="Acme Knowledge <knowledge@acme.example>",
    KSHARE_MAIL_REPLY_TO=["Knowledge team <knowledge-team@acme.example>"],
)
def test_a_reminder_arrives_with_the_sender_identity_and_one_click_unsubscribe(smtp_server):
    [ann], when = _session_with_invitee_reminders("ann@acme.example")

    with override_settings(MAILERS=smtp_server.mailers):
        assert reminders_send_due(now=when) == 1

    got = _received(smtp_server)
    link = f"{SITE}/mail/unsubscribe/{unsubscribe_token(person_id=ann.pk, category='reminders')}/"
    assert got["From"] == "Acme Knowledge <knowledge@acme.example>"
    assert got["Reply-To"] == "Knowledge team <knowledge-team@acme.example>"
    assert re.fullmatch(r"<[^@<>]+@kshare\.acme\.example>", got["Message-ID"]) is not None
    assert got["List-Unsubscribe"] == f"<{link}>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # On the wire the link is itself, on one line: folded into RFC 2047 encoded words
    # (=?utf-8?q?=3Chttp…) mail clients would not offer one-click unsubscribe.
    assert len(link) > 78
    assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in smtp_server.raw[0]
    text = got.get_body(preferencelist=("plain",)).get_content()
    assert text.endswith(
        "You get this mail because “Reminders” is on in your notification settings.\n"
        f"Turn off “Reminders”: {link}\n"
        f"All your notification settings: {SITE}/people/me/notifications/\n"
    )
    html = got.get_body(preferencelist=("html",)).get_content()
    footer = html[html.index("<footer>") : html.index("</footer>")]
    assert f'<a href="{link}">Turn off “Reminders”</a>' in footer
    assert f'<a href="{SITE}/people/me/notifications/">All your notification settings</a>' in footer
    # Every link of the text part is in the HTML part too, in the same order.
    assert re.findall(r'href="([^"]+)"', html) == LINK.findall(text)


@override_settings(SITE_URL=SITE)
def test_mail_people_cannot_refuse_has_no_unsubscribe(client):
    PersonFactory(email="ann@acme.example")

    client.post(reverse("password_reset"), {"email": "ann@acme.example"})

    [message] = mail.outbox
    assert OutboxMessage.objects.get().kind == "password_reset"
    assert "List-Unsubscribe" not in message.extra_headers
    assert "notification settings" not in message.body


def test_a_notification_to_an_address_that_is_nobodys_is_sent_as_it_is():
    message = mail.EmailMultiAlternatives(subject="Hi", body="Hello\n", to=["x@elsewhere.example"])

    stored = mail_queue(message, kind="reminder_invitee")

    assert stored is not None
    assert "List-Unsubscribe" not in stored.headers
    assert stored.body == "Hello\n"


def test_one_click_post_unsubscribes_and_the_next_reminder_is_not_sent():
    [ann, _bob], when = _session_with_invitee_reminders("ann@acme.example", "bob@acme.example")
    path = reverse(
        "mail:unsubscribe", args=[unsubscribe_token(person_id=ann.pk, category="reminders")]
    )
    # As a mail provider does it (RFC 8058): no session, no CSRF token, just this body.
    provider = Client(enforce_csrf_checks=True)

    response = provider.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "“Reminders” turned off" in response.text
    assert list(MailOptOut.objects.values_list("person__email", "category")) == [
        ("ann@acme.example", "reminders")
    ]
    assert reminders_send_due(now=when) == 1
    assert [message.to for message in mail.outbox] == [["bob@acme.example"]]
    assert OutboxMessage.objects.get().to == ["bob@acme.example"]


def test_the_unsubscribe_link_only_asks_on_get(client):
    ann = PersonFactory(email="ann@acme.example")
    path = reverse(
        "mail:unsubscribe", args=[unsubscribe_token(person_id=ann.pk, category="nudges")]
    )

    response = client.get(path)

    assert response.status_code == 200
    assert "Turn off “Nudges”?" in response.text
    assert f'<form method="post" action="{path}">' in response.text
    assert not MailOptOut.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_broken_or_foreign_unsubscribe_link_is_a_404_page_that_says_so(client, method):
    ann = PersonFactory(email="ann@acme.example")
    token = unsubscribe_token(person_id=ann.pk, category="nudges")
    gone = PersonFactory(email="gone@acme.example", is_active=False)

    for bad in (
        token[:-2],
        signing.Signer(salt="kshare.rsvp").sign_object([ann.pk, "nudges"], compress=True),
        unsubscribe_token(person_id=gone.pk, category="nudges"),
        unsubscribe_token(person_id=ann.pk, category="no-such-category"),
    ):
        response = getattr(client, method)(reverse("mail:unsubscribe", args=[bad]))
        assert response.status_code == 404
        assert "This unsubscribe link is not valid" in response.text
    assert not MailOptOut.objects.exists()


def test_tokens_are_stable_and_bound_to_person_and_category():
    token = unsubscribe_token(person_id=7, category="digests")

    assert token == unsubscribe_token(person_id=7, category="digests")
    assert unsubscribe_token_read(token) == (7, "digests")
    assert unsubscribe_token_read("7:digests") is None


def test_every_known_kind_has_a_category_and_new_kinds_count_as_other():
    assert set(KIND_CATEGORIES.values()) <= set(CATEGORIES)
    assert category_for("password_reset") is None
    assert category_for("invitation") is None
    assert category_for("reminder_nudge") == "nudges"
    assert category_for("cadence_nudge") == "nudges"
    assert category_for("reminder_organiser_digest") == "digests"
    assert category_for("catchup_weekly") == "catchup"
    assert category_for("host_summary_of_tomorrow") == "other"


def test_turning_the_weekly_catch_up_off_anywhere_switches_it_off_on_the_catch_up_page(
    django_capture_on_commit_callbacks,
):
    ann = PersonFactory(email="ann@acme.example")
    catchup_subscription_set(person=ann, weekly_email=True)

    with django_capture_on_commit_callbacks(execute=True):
        mail_category_set(person_id=ann.pk, category="catchup", on=False)

    assert CatchUpSubscription.objects.get(person=ann).weekly_email is False
    # Choosing it again on the catch-up page turns the category back on.
    catchup_subscription_set(person=ann, weekly_email=True)
    assert not MailOptOut.objects.filter(person=ann).exists()

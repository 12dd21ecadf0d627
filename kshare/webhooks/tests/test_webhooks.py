"""Webhooks end to end: a real HTTP receiver on a loopback port checks every signature."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kshare.core.leases import lease_renew, leases_reclaim
from kshare.core.tests.daytime import days_ahead_at, daytime_zone
from kshare.core.ticks import periodic_tasks
from kshare.feedback.services import response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions import services as session_services
from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory
from kshare.webhooks.models import Webhook, WebhookDelivery
from kshare.webhooks.services import (
    backoff,
    webhook_deliveries_retry,
    webhook_signature,
    webhook_subscribe,
    webhook_unsubscribe,
    webhooks_emit,
    webhooks_tick,
)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """The receivers here listen on loopback, which kshare refuses unless an administrator
    allows it (test_addresses.py checks the refusal)."""
    settings.KSHARE_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    valid: bool


@dataclass
class Receiver:
    """What the loopback server got; ``fail`` answers 500 that many times first."""

    url: str
    secret: str = ""
    fail: int = 0
    got: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = Receiver(url=f"http://127.0.0.1:{port}/hook")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = webhook_signature(state.secret, body)
            valid = hmac.compare_digest(expected, self.headers.get("X-Kshare-Signature", ""))
            state.got.append(Received(dict(self.headers.items()), body, valid))
            if state.fail > 0:
                state.fail -= 1
                self.send_response(500)
            else:
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def subscribe(receiver: Receiver, *, by=None, events=None, programme=None) -> Webhook:
    hook = webhook_subscribe(
        by=by or AdminFactory(),
        url=receiver.url,
        events=events or ["session.scheduled", "session.cancelled", "session.held"],
        programme=programme,
    )
    receiver.secret = hook.secret
    return hook


def test_scheduling_a_session_posts_a_signed_payload(receiver, django_capture_on_commit_callbacks):
    hook = subscribe(receiver)
    session = SessionFactory(title="Intro to pandas")
    start = days_ahead_at(10)
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_schedule(session=session, start=start, by=session.hosts.first())
    assert len(receiver.got) == 1
    got = receiver.got[0]
    assert got.valid
    body = json.loads(got.body)
    delivery = WebhookDelivery.objects.get()
    assert got.headers["X-Kshare-Event"] == "session.scheduled"
    assert got.headers["X-Kshare-Delivery"] == str(delivery.pk)
    assert got.headers["X-Kshare-Timestamp"] == str(body["timestamp"])
    assert got.headers["Content-Type"] == "application/json"
    assert abs(body["timestamp"] - timezone.now().timestamp()) < 60
    assert (body["id"], body["event"], body["attempt"]) == (delivery.pk, "session.scheduled", 1)
    data = body["data"]["session"]
    assert (data["id"], data["title"], data["state"]) == (
        session.pk,
        "Intro to pandas",
        "scheduled",
    )
    assert dt.datetime.fromisoformat(data["start"]) == start.replace(
        microsecond=start.microsecond // 1000 * 1000
    )
    assert data["url"].endswith(session.get_absolute_url())
    assert data["hosts"][0]["id"] == session.hosts.first().pk
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 1, 204)
    assert delivery.delivered_at is not None
    assert hook.deliveries.count() == 1


def test_signature_is_hmac_sha256_of_the_raw_body():
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert webhook_signature("s3cret", body) == f"sha256={expected}"
    assert webhook_signature("other", body) != f"sha256={expected}"


def test_receiver_failing_twice_gets_it_on_the_third_attempt(
    receiver, django_capture_on_commit_callbacks
):
    subscribe(receiver)
    receiver.fail = 2
    session = ScheduledSessionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_cancel(session=session, by=AdminFactory(), reason="ill")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("queued", 1, 500)
    assert delivery.last_error == "HTTP 500"
    first_retry = delivery.next_attempt_at
    assert first_retry - timezone.now() == pytest.approx(backoff(1), abs=dt.timedelta(seconds=30))
    # Not due yet: the tick leaves it alone.
    assert webhooks_tick().sent == 0
    assert len(receiver.got) == 1
    result = webhooks_tick(now=first_retry + dt.timedelta(seconds=1))
    assert (result.sent, result.retrying) == (0, 1)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    result = webhooks_tick(now=delivery.next_attempt_at + dt.timedelta(seconds=1))
    assert (result.sent, result.retrying) == (1, 0)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 3, 204)
    # Three posts, each validly signed, one delivery id, attempts 1..3.
    assert [r.valid for r in receiver.got] == [True, True, True]
    assert {r.headers["X-Kshare-Delivery"] for r in receiver.got} == {str(delivery.pk)}
    assert [json.loads(r.body)["attempt"] for r in receiver.got] == [1, 2, 3]
    assert json.loads(receiver.got[-1].body)["event"] == "session.cancelled"
    # Sent is final: a later tick sends nothing again.
    webhooks_tick(now=timezone.now() + dt.timedelta(days=1))
    assert len(receiver.got) == 3


def test_unreachable_receiver_is_retried_then_failed(settings, django_capture_on_commit_callbacks):
    settings.KSHARE_WEBHOOK_MAX_ATTEMPTS = 2
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens here once closed
    webhook_subscribe(by=AdminFactory(), url=f"http://127.0.0.1:{port}/", events=["session.held"])
    session = ScheduledSessionFactory(start=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_mark_held(session=session, by=AdminFactory())
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("queued", 1, None)
    assert delivery.last_error == "connection refused"
    webhooks_tick(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    # Retry now queues it again.
    assert webhook_deliveries_retry(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == "queued"


def test_stale_claim_is_recovered(receiver):
    hook = subscribe(receiver)
    delivery = WebhookDelivery.objects.create(
        webhook=hook,
        event="session.held",
        payload={"x": 1},
        status="sending",
        claimed_at=timezone.now() - dt.timedelta(hours=1),
    )
    result = webhooks_tick()
    assert (result.recovered, result.sent) == (1, 1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(receiver.got) == 1 and receiver.got[0].valid


def test_a_delivery_a_lost_worker_was_sending_is_sent_again_at_once(
    receiver, django_capture_on_commit_callbacks
):
    hook = subscribe(receiver)
    delivery = WebhookDelivery.objects.create(
        webhook=hook,
        event="session.held",
        payload={"x": 1},
        status="sending",
        claimed_at=timezone.now() - dt.timedelta(minutes=2),
        claimed_by="dead-worker",
    )
    lease_renew(worker_id="dead-worker", now=timezone.now() - dt.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        leases_reclaim()
    delivery.refresh_from_db()
    # Not after the ten minutes of a stale claim: as soon as the lease is found expired.
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(receiver.got) == 1 and receiver.got[0].valid


def test_a_rolled_back_change_announces_nothing(receiver, django_capture_on_commit_callbacks):
    subscribe(receiver)
    session = SessionFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        session_services.session_schedule(
            session=session, start=timezone.now() - dt.timedelta(days=1), by=AdminFactory()
        )
    assert not WebhookDelivery.objects.exists()
    assert receiver.got == []


def test_audience_programme_events_and_visibility(django_capture_on_commit_callbacks):
    programme, other = ProgrammeFactory(), ProgrammeFactory()
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    everywhere = webhook_subscribe(
        by=AdminFactory(), url="http://127.0.0.1:9/a", events=["session.scheduled"]
    )
    mine = webhook_subscribe(
        by=organiser, url="http://127.0.0.1:9/b", events=["session.scheduled"], programme=programme
    )
    cancelled_only = webhook_subscribe(
        by=AdminFactory(), url="http://127.0.0.1:9/c", events=["session.cancelled"]
    )
    paused = webhook_subscribe(
        by=AdminFactory(), url="http://127.0.0.1:9/d", events=["session.scheduled"]
    )
    paused.active = False
    paused.save()
    gone = webhook_subscribe(
        by=AdminFactory(), url="http://127.0.0.1:9/e", events=["session.scheduled"]
    )
    gone.created_by.is_active = False
    gone.created_by.save()

    def receivers(session) -> set[int]:
        WebhookDelivery.objects.all().delete()
        payload = {"session": {"id": session.pk}}
        webhooks_emit("session.scheduled", payload, session=session)
        return set(WebhookDelivery.objects.values_list("webhook_id", flat=True))

    assert receivers(SessionFactory(programme=programme)) == {everywhere.pk, mine.pk}
    assert receivers(SessionFactory(programme=other)) == {everywhere.pk}
    # An invite-only session the organiser's programme holds: organisers see their programme's.
    assert receivers(SessionFactory(programme=programme, visibility="invite_only")) == {
        everywhere.pk,
        mine.pk,
    }
    # The organiser loses the programme: their hook no longer sees its sessions.
    programme.organisers.remove(organiser)
    assert receivers(SessionFactory(programme=programme, visibility="invite_only")) == {
        everywhere.pk
    }
    assert cancelled_only.pk not in receivers(SessionFactory())


def test_feedback_received_respects_anonymity(receiver, django_capture_on_commit_callbacks):
    """An anonymous programme announces released batches (feedback/release.py), not answers."""
    programme = ProgrammeFactory(feedback_anonymous=True)
    subscribe(receiver, events=["feedback.received"])
    requests = [FeedbackRequestFactory(session__programme=programme)]
    requests += [FeedbackRequestFactory(session=requests[0].session) for _ in range(2)]
    question = requests[0].form.questions.get(purpose="overall")
    for request in requests:
        with django_capture_on_commit_callbacks(execute=True):
            response_submit(request=request, person=request.person, data={question.pk: 4})
    [got] = receiver.got
    body = json.loads(got.body)
    assert got.valid
    assert body["event"] == "feedback.received"
    feedback = body["data"]["feedback"]
    assert feedback == {
        "anonymous": True,
        "respondent": None,
        "released": 3,
        "responses": 3,
        "requests": 3,
    }
    raw = got.body.decode()
    for request in requests:
        assert request.person.display_name not in raw
        assert request.person.email not in raw
        assert f'"id":{request.person.pk},' not in raw.replace(f'"id":{request.session.pk},', "")


def test_feedback_received_names_the_respondent_when_not_anonymous(
    receiver, django_capture_on_commit_callbacks
):
    programme = ProgrammeFactory(feedback_anonymous=False)
    subscribe(receiver, events=["feedback.received"])
    request = FeedbackRequestFactory(session__programme=programme)
    question = request.form.questions.get(purpose="overall")
    with django_capture_on_commit_callbacks(execute=True):
        response_submit(request=request, person=request.person, data={question.pk: 5})
    feedback = json.loads(receiver.got[0].body)["data"]["feedback"]
    assert feedback["respondent"] == {
        "id": request.person.pk,
        "display_name": request.person.display_name,
    }


def test_subscribe_rules():
    member, organiser, admin_ = PersonFactory(), OrganiserFactory(), AdminFactory()
    programme = ProgrammeFactory()
    programme.organisers.add(organiser)
    with pytest.raises(PermissionDenied):
        webhook_subscribe(by=member, url="https://chat.example/x", events=["session.held"])
    with pytest.raises(ValidationError) as exc:
        webhook_subscribe(by=organiser, url="https://chat.example/x", events=["session.held"])
    assert "programme" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        webhook_subscribe(
            by=organiser,
            url="https://chat.example/x",
            events=["session.held"],
            programme=ProgrammeFactory(),
        )
    assert "programme" in exc.value.message_dict
    for url in ("ftp://chat.example/", "javascript:alert(1)", "https://u:p@chat.example/"):
        with pytest.raises(ValidationError) as exc:
            webhook_subscribe(by=admin_, url=url, events=["session.held"])
        assert "url" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        webhook_subscribe(by=admin_, url="https://chat.example/", events=["session.moved"])
    assert "events" in exc.value.message_dict
    with pytest.raises(ValidationError):
        webhook_subscribe(by=admin_, url="https://chat.example/", events=[])
    assert not Webhook.objects.exists()
    hook = webhook_subscribe(
        by=organiser,
        url="https://chat.example/x",
        events=["session.held", "session.scheduled"],
        programme=programme,
    )
    # Stored in the canonical order; a fresh secret each time.
    assert hook.events == ["session.scheduled", "session.held"]
    assert hook.secret.startswith("whsec_") and len(hook.secret) > 40
    with pytest.raises(PermissionDenied):
        webhook_unsubscribe(webhook=hook, by=OrganiserFactory())
    webhook_unsubscribe(webhook=hook, by=organiser)
    assert not Webhook.objects.exists()


def test_redirects_are_not_followed(django_capture_on_commit_callbacks):
    """A 3xx is a failed attempt: the payload is never re-posted elsewhere."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        webhook_subscribe(
            by=AdminFactory(), url=f"http://127.0.0.1:{port}/in", events=["session.cancelled"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            session_services.session_cancel(session=SessionFactory(), by=AdminFactory())
    finally:
        server.shutdown()
        server.server_close()
    delivery = WebhookDelivery.objects.get()
    assert hits == ["/in"]
    assert (delivery.status, delivery.response_status, delivery.last_error) == (
        "queued",
        307,
        "HTTP 307",
    )


def test_admin_registers_every_model_and_the_clock_ticks():
    assert admin.site.is_registered(Webhook)
    assert admin.site.is_registered(WebhookDelivery)
    assert "kshare.webhooks.tasks.webhooks_tick_task" in periodic_tasks()


def test_a_reschedule_is_announced_as_rescheduled(
    receiver, django_capture_on_commit_callbacks, settings
):
    # The hour-long session starts days from now at this time of day and may not cross midnight
    # in the installation's zone (in UTC it would between 23:00 and 24:00 UTC): now is morning.
    settings.TIME_ZONE = daytime_zone(0)
    subscribe(receiver, events=["session.scheduled"])
    session = ScheduledSessionFactory()
    admin_ = AdminFactory()
    new_start = session.start + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_update(
            session=session, by=admin_, start=new_start, end=new_start + dt.timedelta(hours=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_update(session=session, by=admin_, title="Renamed")
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_schedule(
            session=session, start=new_start + dt.timedelta(days=1), by=admin_
        )
    bodies = [json.loads(r.body)["data"] for r in receiver.got]
    # The rename sent nothing; both moves say rescheduled.
    assert [b["rescheduled"] for b in bodies] == [True, True]
    assert bodies[0]["session"]["start"].startswith(new_start.date().isoformat())
    assert bodies[1]["session"]["title"] == "Renamed"
    assert all(r.valid for r in receiver.got)
    first = SessionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        session_services.session_schedule(session=first, start=new_start, by=admin_)
    assert json.loads(receiver.got[-1].body)["data"]["rescheduled"] is False


def test_admin_adds_a_webhook_with_a_generated_secret(client):
    admin_ = AdminFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_)
    response = client.post(
        "/admin/webhooks/webhook/add/",
        {
            "url": "https://chat.example/in",
            "description": "",
            "events": '["session.held"]',
            "programme": "",
            "active": "on",
            "created_by": admin_.pk,
            "created_at_0": "2026-05-01",
            "created_at_1": "10:00:00",
        },
        follow=True,
    )
    assert response.status_code == 200
    hook = Webhook.objects.get()
    assert hook.secret.startswith("whsec_") and len(hook.secret) > 40
    assert hook.secret in response.content.decode()  # in the message, once
    change = client.get(f"/admin/webhooks/webhook/{hook.pk}/change/")
    assert change.status_code == 200
    assert hook.secret not in change.content.decode()
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 200

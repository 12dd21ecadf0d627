"""The hosts' summary after their session: sent once, when the feedback has closed, with only
what the programme's anonymity rules let the results page show."""

from __future__ import annotations

import email
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from kshare.feedback.dispatch import feedback_tick
from kshare.feedback.models import FeedbackRequest
from kshare.feedback.services import response_submit
from kshare.feedback.summary import bars, host_summary_send, summaries_due
from kshare.ideas.tests.factories import IdeaFactory, IdeaVoteFactory
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.questions.models import Question as AskedQuestion
from kshare.sessions import attendance, services
from kshare.sessions.models import Invitation, Session, SessionHost
from kshare.sessions.tests.factories import ScheduledSessionFactory

pytestmark = pytest.mark.django_db


def _held(*, anonymous: bool, attendees: int = 4):
    """A session that took place: host, co-host, ``attendees`` who came, one "yes" who did
    not, a question and an idea from the room; marked held by its host."""
    host = PersonFactory(email="host@example.com", display_name="Hanna Host")
    start = timezone.now() - timedelta(hours=2)
    session = ScheduledSessionFactory(
        programme=ProgrammeFactory(feedback_anonymous=anonymous),
        title="Data contracts",
        host=host,
        start=start,
        end=start + timedelta(minutes=45),
    )
    cohost = PersonFactory(email="co@example.com", display_name="Cora Cohost")
    SessionHost.objects.create(session=session, person=cohost, role=SessionHost.Role.COHOST)
    people = [
        PersonFactory(email=f"a{i}@example.com", display_name=f"Attendee {i}")
        for i in range(attendees)
    ]
    attendance.attendance_record(session=session, people=people, by=host)
    Invitation.objects.create(
        session=session, person=PersonFactory(), response=Invitation.Response.YES
    )
    AskedQuestion.objects.create(
        session=session,
        author=people[-1],
        text="How do you version a contract?",
        anonymous=True,
        vote_count=3,
        answered_at=timezone.now(),
    )
    idea = IdeaFactory(session=session, title="A contract linter in CI", author=people[0])
    IdeaVoteFactory(idea=idea)
    services.session_mark_held(session=session, by=host)
    return session, people


def _submit(request: FeedbackRequest, **values: str) -> None:
    q = {q.purpose or f"text{q.position}": q for q in request.form.questions.all()}
    response_submit(
        request=request,
        person=request.person,
        data={q[key].pk: value for key, value in values.items()},
    )


def _summaries() -> dict[str, str]:
    return {
        m.to[0]: m.body for m in mail.outbox if m.subject.startswith("How “Data contracts” went")
    }


def test_marking_held_owes_the_summary_and_it_waits_for_the_feedback_to_close():
    before = timezone.now()
    session, _people = _held(anonymous=False)
    session.refresh_from_db()
    assert session.host_summary_due_at is not None and session.host_summary_due_at >= before
    now = timezone.now()
    assert feedback_tick(now=now).summaries == 0  # dispatches the forms: feedback is open
    assert FeedbackRequest.objects.filter(session=session).count() == 4
    assert _summaries() == {}
    assert list(summaries_due(now=now)) == []


def test_the_summary_goes_to_host_and_cohost_once_the_feedback_closed_with_everything_in_it():
    session, _people = _held(anonymous=False)
    feedback_tick(now=timezone.now())
    requests = list(FeedbackRequest.objects.filter(session=session).order_by("person__email"))
    _submit(requests[0], overall="5", host_interest="Yes", topics_wanted="Schema registries")
    _submit(requests[1], overall="4", text2="The live demo")
    _submit(requests[2], overall="4")
    closed = max(r.closes_at for r in requests) + timedelta(minutes=1)

    result = feedback_tick(now=closed)

    assert result.summaries == 2
    summaries = _summaries()
    assert sorted(summaries) == ["co@example.com", "host@example.com"]
    body = summaries["host@example.com"]
    assert "4 attended (1 invited, 1 had said yes)." in body
    assert "3 responses from 4 people asked (75%)." in body
    assert "Overall rating: 4.33 of 5 from 3 answers" in body
    assert "  5 stars    1  33% ██████████\n" in body
    assert "  4 stars    2  67% ████████████████████\n" in body
    assert "  1 star     0   0% \n" in body
    assert "1 written comment: read them on the results page." in body
    assert "The live demo" not in body  # comments stay on the results page
    assert f"/feedback/sessions/{session.pk}/" in body
    assert "- How do you version a contract? (3 votes, answered)" in body
    assert "Attendee 3" not in body  # the question was anonymous; no author is ever shown
    assert "- A contract linter in CI (1 vote) http" in body
    assert "- Attendee 0 said yes: Schema registries" in body  # a named answer, by design
    assert Session.objects.get(pk=session.pk).host_summary_due_at is None
    # Once: the next tick, and a direct call, send nothing more.
    assert feedback_tick(now=closed + timedelta(minutes=5)).summaries == 0
    assert host_summary_send(session_id=session.pk) == 0
    assert len(_summaries()) == 2


def test_anonymous_feedback_reaches_the_summary_only_released_and_names_only_after_the_close():
    session, _people = _held(anonymous=True, attendees=4)
    feedback_tick(now=timezone.now())
    requests = list(FeedbackRequest.objects.filter(session=session).order_by("person__email"))
    _submit(requests[0], overall="5", host_interest="Yes", topics_wanted="Schema registries")
    _submit(requests[1], overall="3")  # two held: fewer than a batch of three
    closed = max(r.closes_at for r in requests) + timedelta(minutes=1)

    # The closing decision: two answers from four people asked may be released; the held "yes"
    # to hosting waits for the next tick, and the summary for it.
    assert feedback_tick(now=closed).summaries == 0
    assert _summaries() == {}
    assert feedback_tick(now=closed + timedelta(minutes=1)).summaries == 2

    body = _summaries()["host@example.com"]
    assert "2 responses from 4 people asked (50%)." in body
    assert "Overall rating: 4.00 of 5 from 2 answers" in body
    assert "- Attendee 0 said yes: Schema registries" in body


def test_anonymous_answers_too_few_to_release_are_not_in_the_summary():
    session, _people = _held(anonymous=True, attendees=1)
    feedback_tick(now=timezone.now())
    [request] = FeedbackRequest.objects.filter(session=session)
    _submit(request, overall="1")
    closed = request.closes_at + timedelta(minutes=1)
    assert feedback_tick(now=closed).summaries == 2  # nothing held back waits: decided, kept
    body = _summaries()["host@example.com"]
    assert "No feedback from the 1 person asked that can be shown" in body
    assert "Overall rating" not in body


def test_the_summary_reaches_a_real_smtp_server_as_text_and_html(smtp_server):
    session, _people = _held(anonymous=False, attendees=1)
    feedback_tick(now=timezone.now())
    [request] = FeedbackRequest.objects.filter(session=session)
    _submit(request, overall="4")
    with override_settings(MAILERS=smtp_server.mailers):
        assert feedback_tick(now=request.closes_at + timedelta(minutes=1)).summaries == 2
    received = {
        m["To"]: email.message_from_bytes(m.as_bytes(), policy=default_policy)
        for m in smtp_server.messages
        if m["Subject"].startswith("How")
    }
    assert sorted(received) == ["co@example.com", "host@example.com"]
    message = received["host@example.com"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<h2>Feedback</h2>" in html and "<strong>4.00</strong> of 5" in html
    assert "<svg" not in html  # mail clients do not show SVG: numbers and a link instead


def test_bars_scale_to_the_largest_count_and_never_hide_a_count():
    assert [(b.label, b.count, b.share, len(b.bar)) for b in bars([("a", 40), ("b", 1)])] == [
        ("a", 40, 98, 20),
        ("b", 1, 2, 1),
    ]
    assert bars([("a", 0)])[0].share is None


def test_a_host_who_turned_summaries_off_gets_none_and_the_cohost_still_does():
    from kshare.outbox.categories import category_for
    from kshare.outbox.models import MailOptOut

    assert category_for("host_summary") == "summaries"
    assert [category_for(k) for k in ("host_confirmation", "draft_host_request")] == [None, None]
    session, _people = _held(anonymous=False, attendees=1)
    MailOptOut.objects.create(
        person=session.host_links.get(role="host").person, category="summaries"
    )
    feedback_tick(now=timezone.now())
    [request] = FeedbackRequest.objects.filter(session=session)
    assert feedback_tick(now=request.closes_at + timedelta(minutes=1)).summaries == 1
    assert sorted(_summaries()) == ["co@example.com"]
    assert "List-Unsubscribe" in mail.outbox[-1].extra_headers

"""Feedback results page for a session with 2,000 responses: render time and query count.

Creates a programme, a held session, 2,000 responses to its default form (a rating each, a
comment on one in three, a host-interest choice on half), then renders the results page
through Django's test client as the programme's organiser, and the CSV export. The target is
under 100 ms for the page, with a query count that does not grow with the responses.

Run through ``bench/run.py -k feedback`` (a throw-away database, see bench/README.md).
"""

from __future__ import annotations

from datetime import timedelta

RESPONSES = 2_000


def run(bench) -> None:
    from django.conf import settings
    from django.test import override_settings

    # Production settings want collectstatic's manifest; a bench has none and needs none.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        _run(bench)


def _run(bench) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from kshare.feedback.models import Answer, FeedbackRequest, Response
    from kshare.feedback.services import feedback_form_current, respondent_hash
    from kshare.people.models import Person, Role
    from kshare.programmes.models import Programme
    from kshare.sessions.models import Session, SessionHost, State

    organiser = Person.objects.create_user(
        "bench-feedback-organiser@example.com", display_name="Bench Organiser", role=Role.ORGANISER
    )
    programme = Programme.objects.create(name="Bench feedback", slug="bench-feedback")
    programme.organisers.add(organiser)
    start = timezone.now() - timedelta(days=3)
    session = Session.objects.create(
        programme=programme,
        title="A very popular talk",
        state=State.HELD,
        start=start,
        end=start + timedelta(minutes=45),
    )
    SessionHost.objects.create(session=session, person=organiser)
    form = feedback_form_current(programme=programme)
    questions = {q.purpose or q.text: q for q in form.questions.all()}
    attendees = Person.objects.bulk_create(
        Person(email=f"bench-attendee-{i}@example.com", display_name=f"Attendee {i}")
        for i in range(RESPONSES + RESPONSES // 10)
    )
    closes = timezone.now() + timedelta(days=14)
    FeedbackRequest.objects.bulk_create(
        FeedbackRequest(
            session=session, person=p, form=form, closes_at=closes, answered=i < RESPONSES
        )
        for i, p in enumerate(attendees)
    )
    responses = Response.objects.bulk_create(
        Response(
            session=session,
            form=form,
            person=p,
            respondent_hash=respondent_hash(session_id=session.pk, person_id=p.pk),
        )
        for p in attendees[:RESPONSES]
    )
    answers = []
    for i, r in enumerate(responses):
        answers.append(Answer(response=r, question=questions["overall"], number=1 + (i * 7) % 5))
        if i % 3 == 0:
            answers.append(
                Answer(
                    response=r,
                    question=questions["What could be improved?"],
                    text=f"Comment number {i}: more examples, please, and a longer Q&A.",
                )
            )
        if i % 2 == 0:
            answers.append(
                Answer(
                    response=r,
                    question=questions["host_interest"],
                    selected=[["Yes", "Maybe", "No"][i % 3]],
                )
            )
    Answer.objects.bulk_create(answers, batch_size=2_000)
    bench.record("feedback_results", "responses", Response.objects.count(), "rows")
    bench.record("feedback_results", "answers", Answer.objects.count(), "rows")

    client = Client()
    client.force_login(organiser)
    page = reverse("feedback:session_results", args=[session.pk])
    export = reverse("feedback:session_export", args=[session.pk])
    programme_page = reverse("feedback:programme_results", args=[programme.slug])

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    for name, url in (
        ("session results page", page),
        ("session CSV export", export),
        ("programme results page", programme_page),
    ):
        get(url)  # warm up: templates compiled, session loaded
        with CaptureQueriesContext(connection) as queries:
            get(url)
        bench.record(
            "feedback_results", f"{name} queries", len(queries.captured_queries), "queries"
        )
        bench.time(
            "feedback_results", f"{name} ({RESPONSES} responses)", lambda u=url: get(u), repeat=7
        )

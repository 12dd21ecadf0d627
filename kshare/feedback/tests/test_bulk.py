"""feedback_requests_create_bulk and feedback_responses_record_bulk: the one-row paths' rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from kshare.core.signals import rows_saved
from kshare.feedback import signals
from kshare.feedback.bulk import (
    ResponseEntry,
    feedback_requests_create_bulk,
    feedback_responses_record_bulk,
)
from kshare.feedback.models import (
    FeedbackForm,
    FeedbackRelease,
    FeedbackRequest,
    HostAnswerHeld,
    ProspectiveHost,
    Response,
)
from kshare.feedback.services import feedback_form_current, respondent_hash, response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.feedback.tests.test_respond_service import answers, open_request, stored
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Attendance, SessionHost
from kshare.sessions.tests.factories import PastSessionFactory, SessionFactory

pytestmark = pytest.mark.django_db


def entry(request: FeedbackRequest, *, hours: float = 1, **values) -> ResponseEntry:
    return ResponseEntry(
        request=request,
        data=answers(request, **values),
        submitted_at=request.sent_at + timedelta(hours=hours),
    )


def attendees(session, n: int) -> list:
    people = PersonFactory.create_batch(n)
    for person in people:
        Attendance.objects.create(session=session, person=person, recorded_at=session.start)
    return people


def new_request(session, person, **kwargs) -> FeedbackRequest:
    sent = kwargs.pop("sent_at", None) or session.end + timedelta(hours=1)
    return FeedbackRequest(
        session=session,
        person=person,
        form=feedback_form_current(programme=session.programme),
        sent_at=sent,
        closes_at=kwargs.pop("closes_at", sent + timedelta(days=14)),
        **kwargs,
    )


# --- requests ---------------------------------------------------------------------------------


def test_requests_go_to_attendees_once_without_mail_and_are_announced(
    django_capture_on_commit_callbacks,
):
    session = PastSessionFactory()
    a, b = attendees(session, 2)
    FeedbackRequestFactory(session=session, person=b)  # already asked
    seen = []

    def receiver(sender, model, ids, **kwargs):
        seen.append((model, ids))

    rows_saved.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = feedback_requests_create_bulk(
                requests=[new_request(session, a), new_request(session, a), new_request(session, b)]
            )
    finally:
        rows_saved.disconnect(receiver)
    assert [r.person_id for r in created] == [a.pk]
    assert FeedbackRequest.objects.filter(session=session).count() == 2
    assert created[0].mail_pending is False and created[0].answered is False
    assert seen == [(FeedbackRequest, [created[0].pk])]


@pytest.mark.parametrize(
    "case",
    ["not_attendee", "host", "not_ended", "old_form", "closes_before_sent", "answered"],
)
def test_requests_refuse_what_the_dispatch_would_not_send(case):
    session = PastSessionFactory()
    (person,) = attendees(session, 1)
    kwargs: dict = {}
    if case == "not_attendee":
        person = PersonFactory()
    elif case == "host":
        SessionHost.objects.create(session=session, person=person)
    elif case == "not_ended":
        session = SessionFactory()  # not held, not over
        Attendance.objects.create(session=session, person=person, recorded_at=timezone.now())
        kwargs["sent_at"] = timezone.now()
    elif case == "closes_before_sent":
        kwargs["closes_at"] = session.end
    elif case == "answered":
        kwargs["answered"] = True
    request = new_request(session, person, **kwargs)
    if case == "old_form":
        request.form = FeedbackForm.objects.create(
            programme=session.programme, version=9, is_current=False
        )
    with pytest.raises(ValidationError):
        feedback_requests_create_bulk(requests=[request])
    assert not FeedbackRequest.objects.filter(session=session, person=person).exists()


# --- responses ----------------------------------------------------------------------------------


def test_a_response_matches_the_single_paths_row_and_marks_its_request():
    one, many = open_request(), open_request()
    values = {"overall": "4", "text2": "The demo", "topics_wanted": "dbt", "host_interest": "No"}
    single = response_submit(request=one, person=one.person, data=answers(one, **values))
    (bulk,) = feedback_responses_record_bulk(responses=[entry(many, hours=2, **values)])

    bulk.refresh_from_db()
    assert bulk.respondent_hash == respondent_hash(
        session_id=many.session_id, person_id=many.person_id
    )
    assert single.respondent_hash == respondent_hash(
        session_id=one.session_id, person_id=one.person_id
    )
    assert stored(bulk) == stored(single)
    assert bulk.person_id == many.person_id and bulk.released is True
    assert bulk.submitted_on == timezone.localdate(many.sent_at + timedelta(hours=2))
    assert FeedbackRequest.objects.get(pk=many.pk).answered is True
    assert many.answered is True


def test_the_same_person_and_session_get_the_same_hash_on_both_paths():
    request = open_request()
    (bulk,) = feedback_responses_record_bulk(responses=[entry(request, overall="5")])
    # The single path now refuses, by the same hash: one response per person and session.
    request.answered = False
    FeedbackRequest.objects.filter(pk=request.pk).update(answered=False)
    with pytest.raises(ValidationError, match="already answered"):
        response_submit(request=request, person=request.person, data=answers(request, overall="5"))
    assert Response.objects.filter(respondent_hash=bulk.respondent_hash).count() == 1


@pytest.mark.parametrize(
    "case", ["answered", "twice", "closed", "before_sent", "bad_value", "missing", "other_form"]
)
def test_responses_refuse_what_the_single_path_refuses(case):
    request = open_request()
    single_request = open_request()
    responses = [entry(request, overall="4")]
    if case == "answered":
        response_submit(request=request, person=request.person, data=answers(request, overall="4"))
    elif case == "twice":
        responses.append(entry(request, overall="3"))
    elif case == "closed":
        responses = [
            ResponseEntry(request=request, data=responses[0].data, submitted_at=request.closes_at)
        ]
    elif case == "before_sent":
        responses[0].submitted_at = request.sent_at - timedelta(minutes=1)
    elif case == "bad_value":
        responses = [entry(request, overall="6")]
    elif case == "missing":
        responses = [entry(request, text2="No rating")]
    elif case == "other_form":
        responses[0].data.update(answers(single_request, text2="from another form"))
    before = Response.objects.count()
    with pytest.raises(ValidationError):
        feedback_responses_record_bulk(responses=responses)
    assert Response.objects.count() == before
    if case != "answered":
        assert FeedbackRequest.objects.get(pk=request.pk).answered is False


@override_settings(KSHARE_FEEDBACK_RELEASE_BATCH=3)
def test_bulk_sends_no_domain_signal(django_capture_on_commit_callbacks):
    named, anonymous = open_request(), open_request(anonymous=True)
    others = [
        FeedbackRequestFactory(session=anonymous.session, form=anonymous.form) for _ in range(2)
    ]
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs)

    signals.feedback_received.connect(receiver)
    signals.feedback_released.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            feedback_responses_record_bulk(
                responses=[entry(r, overall="4") for r in (named, anonymous, *others)]
            )
    finally:
        signals.feedback_received.disconnect(receiver)
        signals.feedback_released.disconnect(receiver)
    assert heard == []
    assert Response.objects.filter(session=anonymous.session, released=True).count() == 3


@override_settings(KSHARE_FEEDBACK_RELEASE_BATCH=3)
def test_anonymous_responses_are_held_until_a_batch_and_keep_private_answers_out():
    first = open_request(anonymous=True)
    session = first.session
    rest = [FeedbackRequestFactory(session=session, form=first.form) for _ in range(3)]
    requests = [first, *rest]
    responses = feedback_responses_record_bulk(
        responses=[
            entry(
                r,
                hours=10 - i,  # answered in the reverse order of the list
                overall="4",
                topics_wanted="dbt",
                host_interest="Yes" if i == 0 else "No",
                host_topic="Data contracts",
            )
            for i, r in enumerate(requests)
        ]
    )
    for request, response in zip(requests, responses, strict=True):
        response.refresh_from_db()
        assert response.person_id is None
        assert response.submitted_on == timezone.localdate(request.sent_at)
    # The first three answered (the last three in the list) are one released batch; the
    # fourth is held, as response_submit would have left it.
    assert [r.released for r in responses] == [False, True, True, True]
    release = FeedbackRelease.objects.get(session=session)
    assert release.responses == 3
    assert release.released_at == rest[0].sent_at + timedelta(hours=9)
    kept = stored(responses[0])
    assert set(kept) == {"overall"}  # no host answer, no host topic, no topics with a name
    assert "topics_wanted" in stored(responses[1])
    held = HostAnswerHeld.objects.get(session=session)
    assert (held.person_id, held.answer, held.topic, held.topics) == (
        first.person_id,
        "yes",
        "Data contracts",
        "dbt",
    )
    assert not ProspectiveHost.objects.exists()


def test_prospective_hosts_as_the_single_path_creates_them():
    programme = ProgrammeFactory()
    early, late = (
        PastSessionFactory(programme=programme, title=t) for t in ("Early talk", "Late talk")
    )
    person = PersonFactory()
    ask = [FeedbackRequestFactory(session=s, person=person) for s in (early, late)]
    single_person = PersonFactory()
    single = FeedbackRequestFactory(session=early, person=single_person)
    response_submit(
        request=single,
        person=single_person,
        data=answers(single, overall="5", host_interest="Maybe", host_topic="Testing"),
    )
    # Given late first but answered later: the later answer is the one the entry keeps.
    feedback_responses_record_bulk(
        responses=[
            entry(ask[1], hours=48, overall="5", host_interest="Yes", host_topic=""),
            entry(ask[0], hours=1, overall="4", host_interest="Maybe", host_topic="Testing"),
            entry(
                FeedbackRequestFactory(session=early, person=PersonFactory()),
                overall="3",
                host_interest="No",
            ),
        ]
    )
    prospect = ProspectiveHost.objects.get(person=person)
    assert (prospect.answer, prospect.topic, prospect.source_session_id) == (
        "yes",
        "Testing",
        late.pk,
    )
    assert prospect.created_on == timezone.localdate(ask[0].sent_at + timedelta(hours=1))
    assert prospect.answered_on == timezone.localdate(ask[1].sent_at + timedelta(hours=48))
    theirs = ProspectiveHost.objects.get(person=single_person)
    assert (theirs.answer, theirs.topic, theirs.source_session_id) == ("maybe", "Testing", early.pk)
    assert ProspectiveHost.objects.count() == 2


def test_an_existing_entry_is_updated_and_keeps_its_status():
    request = open_request()
    response_submit(
        request=request,
        person=request.person,
        data=answers(request, overall="5", host_interest="Maybe", host_topic="Testing"),
    )
    ProspectiveHost.objects.update(status=ProspectiveHost.Status.CONTACTED)
    later = FeedbackRequestFactory(
        session=PastSessionFactory(programme=request.session.programme), person=request.person
    )
    feedback_responses_record_bulk(responses=[entry(later, overall="5", host_interest="Yes")])
    prospect = ProspectiveHost.objects.get()
    assert (prospect.answer, prospect.topic, prospect.status, prospect.source_session_id) == (
        "yes",
        "Testing",
        ProspectiveHost.Status.CONTACTED,
        later.session_id,
    )

"""The answering pages: inbox, form page, thanks, and the box on the home page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kshare.core import kept
from kshare.feedback.models import Answer, FeedbackRequest, ProspectiveHost, Question, Response
from kshare.feedback.tests.factories import FeedbackFormFactory, FeedbackRequestFactory
from kshare.people.tests.factories import PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import SessionHost
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

ANONYMITY_NOTICE = (
    "Your answers are anonymous: hosts and organisers see them without your name. "
    "Only a yes/maybe to hosting shares your name."
)


def request_for(person, *, anonymous=False, title="Data contracts", **kwargs) -> FeedbackRequest:
    if "session" not in kwargs:
        programme = ProgrammeFactory(feedback_anonymous=anonymous)
        kwargs["session"] = PastSessionFactory(
            programme=programme, title=title, host=PersonFactory(display_name="Hana Host")
        )
    return FeedbackRequestFactory(person=person, **kwargs)


def field(request: FeedbackRequest, purpose: str) -> str:
    return f"q{request.form.questions.get(purpose=purpose).pk}"


def url(request: FeedbackRequest) -> str:
    return reverse("feedback:respond", args=[request.pk])


def test_the_form_page_shows_session_hosts_date_and_questions(member_client, person):
    request = request_for(person)

    response = member_client.get(url(request))

    assert response.status_code == 200
    html = response.content.decode()
    assert "How was “Data contracts”?" in html
    assert "Hosted by Hana Host" in html
    start = request.session.start.astimezone(person.tzinfo)
    assert f'datetime="{start.isoformat()}">{start:%a} {start.day} {start:%b %Y, %H:%M}' in html
    assert html.count("<fieldset>") == 2  # the rating and the host question
    for question in request.form.questions.all():
        assert question.text in html
    assert ANONYMITY_NOTICE not in html


def test_anonymous_programmes_show_the_notice_and_the_host_question_warns(member_client, person):
    request = request_for(person, anonymous=True)

    html = member_client.get(url(request)).content.decode()

    assert ANONYMITY_NOTICE in html
    assert "Answering yes or maybe shares your name with the organiser" in html


def test_a_valid_answer_is_saved_and_leads_to_the_thank_you_page(member_client, person):
    request = request_for(person)

    response = member_client.post(
        url(request), {field(request, "overall"): "4", field(request, "host_interest"): "Maybe"}
    )

    thanks = reverse("feedback:respond_thanks", args=[request.pk])
    assert (response.status_code, response["Location"]) == (302, thanks)
    [saved] = Response.objects.all()
    assert (saved.person, list(saved.answers.values_list("number", flat=True))) == (
        person,
        [4, None],
    )
    assert ProspectiveHost.objects.get().answer == "maybe"
    page = member_client.get(thanks)
    assert page.status_code == 200
    assert "Thank you for your feedback!" in page.content.decode()


def test_rating_7_gets_a_clear_message_and_nothing_is_saved(member_client, person):
    request = request_for(person)

    response = member_client.post(url(request), {field(request, "overall"): "7"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        field(request, "overall"): ["Choose a rating from 1 to 5."]
    }
    assert "Choose a rating from 1 to 5." in response.content.decode()
    assert (Response.objects.count(), Answer.objects.count()) == (0, 0)
    request.refresh_from_db()
    assert request.answered is False


def test_a_1_mb_free_text_gets_a_clear_message_and_nothing_is_saved(member_client, person):
    request = request_for(person)
    improve = request.form.questions.get(position=3)

    response = member_client.post(
        url(request), {field(request, "overall"): "3", f"q{improve.pk}": "x" * 1_048_576}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        f"q{improve.pk}": ["Keep it to 5,000 characters or fewer (you wrote 1,048,576)."]
    }
    assert Response.objects.count() == 0


def test_nul_characters_get_a_clear_message_and_nothing_is_saved(member_client, person):
    request = request_for(person)
    topics = field(request, "topics_wanted")

    response = member_client.post(url(request), {field(request, "overall"): "3", topics: "a\x00b"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        topics: [
            "Remove the invisible NUL characters (\\0) from your answer: they cannot be saved."
        ]
    }
    assert Response.objects.count() == 0


def test_answering_twice_shows_a_message_and_keeps_one_response(member_client, person):
    request = request_for(person)
    member_client.post(url(request), {field(request, "overall"): "5"})

    again = member_client.post(url(request), {field(request, "overall"): "1"})

    assert again.status_code == 200
    html = again.content.decode()
    assert "You have already answered — thank you." in html
    assert "Nothing was changed." in html
    assert '<form method="post" novalidate>' not in html
    assert list(Answer.objects.values_list("number", flat=True)) == [5]
    assert member_client.get(url(request)).status_code == 200


def test_a_closed_form_answers_410_and_saves_nothing(member_client, person):
    request = request_for(person, closes_at=timezone.now() - timedelta(hours=1))

    page = member_client.get(url(request))
    post = member_client.post(url(request), {field(request, "overall"): "5"})

    assert (page.status_code, post.status_code) == (410, 410)
    closes = request.closes_at.astimezone(person.tzinfo)
    message = f"This form closed on {closes:%A} {closes.day} {closes:%B %Y}."
    assert message in post.content.decode()
    assert "Send feedback" not in post.content.decode()
    assert Response.objects.count() == 0


def test_someone_elses_form_is_a_plain_404_and_saves_nothing(member_client, person):
    theirs = request_for(PersonFactory(), title="Secret retro")

    kept.forget_all()
    page = member_client.get(url(theirs))
    post = member_client.post(url(theirs), {field(theirs, "overall"): "1"})
    thanks = member_client.get(reverse("feedback:respond_thanks", args=[theirs.pk]))
    kept.forget_all()  # both pages render the kept navigation afresh: the same templates
    missing = member_client.get(reverse("feedback:respond", args=[theirs.pk + 1000]))

    assert [page.status_code, post.status_code, thanks.status_code] == [404, 404, 404]
    not_found = "There is nothing here, or it is not shared with you."
    assert [not_found in r.content.decode() for r in (page, post, thanks, missing)] == [True] * 4
    assert [t.name for t in page.templates] == [t.name for t in missing.templates]
    assert "Secret retro" not in page.content.decode()
    assert Response.objects.count() == 0


def test_thanks_before_answering_goes_to_the_form(member_client, person):
    request = request_for(person)

    response = member_client.get(reverse("feedback:respond_thanks", args=[request.pk]))

    assert (response.status_code, response["Location"]) == (302, url(request))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    request = request_for(PersonFactory())

    response = client.get(url(request))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_the_inbox_lists_exactly_the_persons_open_requests(member_client, person):
    soon = request_for(person, title="Soon closing", closes_at=timezone.now() + timedelta(days=2))
    later = request_for(person, title="Later closing")
    request_for(person, title="Closed one", closes_at=timezone.now() - timedelta(days=1))
    answered = request_for(person, title="Answered one", answered=True)
    request_for(PersonFactory(), title="Not mine")

    response = member_client.get(reverse("feedback:inbox"))

    assert response.status_code == 200
    assert response.context["waiting"] == [soon, later]
    assert response.context["answered"] == [answered]
    html = response.content.decode()
    assert "Closes in 1 day" in html  # 2 days minus the moments the test took
    assert "Closes in 13 days" in html
    assert "Not mine" not in html
    assert "Closed one" not in html


def test_the_inbox_says_when_nothing_is_waiting(member_client):
    response = member_client.get(reverse("feedback:inbox"))

    assert "Nothing waiting — you are all caught up. Thank you!" in response.content.decode()


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_inbox_query_count_does_not_grow_with_requests(member_client, person):
    form = FeedbackFormFactory()
    for _ in range(10):
        request_for(person, session=PastSessionFactory(programme=form.programme))
    few = count_queries(member_client, reverse("feedback:inbox"))
    for i in range(40):
        request_for(
            person, session=PastSessionFactory(programme=form.programme), answered=i % 2 == 0
        )

    many = count_queries(member_client, reverse("feedback:inbox"))

    assert len(member_client.get(reverse("feedback:inbox")).context["waiting"]) == 30
    assert few == many


def test_the_form_page_query_count_does_not_grow_with_questions(member_client, person):
    small = request_for(person)
    large = request_for(person)
    for i in range(15):
        Question.objects.create(
            form=large.form, position=10 + i, kind="single", text=f"Q{i}", choices=["a", "b"]
        )
    SessionHost.objects.create(session=large.session, person=PersonFactory(), role="cohost")

    assert small.form.questions.count() == 6
    assert large.form.questions.count() == 21
    assert count_queries(member_client, url(small)) == count_queries(member_client, url(large))


def test_the_home_page_shows_how_many_forms_wait(member_client, person):
    request_for(person)
    request_for(person)
    request_for(person, answered=True)

    html = member_client.get(reverse("home")).content.decode()

    link = reverse("feedback:inbox")
    assert f'<a href="{link}">You have 2 feedback forms waiting</a>' in html


def test_the_home_page_has_no_box_when_nothing_waits(member_client, person):
    request_for(person, answered=True)

    html = member_client.get(reverse("home")).content.decode()

    assert "feedback form" not in html

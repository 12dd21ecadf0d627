"""The form builder: editing in place, new versions once answered, validation, the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kshare.feedback import builder
from kshare.feedback.models import FeedbackForm, Question
from kshare.feedback.services import DEFAULT_QUESTIONS, feedback_form_current
from kshare.feedback.tests.results_helpers import respond
from kshare.programmes.services import programme_create, programme_default
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(organiser):
    programme = ProgrammeFactory(slug="talks")
    programme.organisers.add(organiser)
    return programme


def _texts(form: FeedbackForm) -> list[str]:
    return list(form.questions.order_by("position").values_list("text", flat=True))


def _positions(form: FeedbackForm) -> list[int]:
    return list(form.questions.order_by("position").values_list("position", flat=True))


def test_new_programmes_get_the_default_form(organiser) -> None:
    programme = programme_create(by=organiser, name="Brown bags")
    form = FeedbackForm.objects.get(programme=programme)
    assert (form.version, form.is_current, form.created_by) == (1, True, organiser)
    assert _texts(form) == [q[1] for q in DEFAULT_QUESTIONS]
    default = programme_default()
    assert FeedbackForm.objects.filter(programme=default, is_current=True).count() == 1


def test_without_responses_changes_edit_the_form_in_place(programme, organiser) -> None:
    form = feedback_form_current(programme=programme)
    builder.question_add(
        programme=programme, by=organiser, kind="single", text="Room?", choices=["A", " B "]
    )
    first = form.questions.get(position=1)
    builder.question_move(question=first, by=organiser, up=False)
    builder.question_delete(
        question=form.questions.get(text="What could be improved?"), by=organiser
    )
    assert FeedbackForm.objects.filter(programme=programme).count() == 1
    assert _texts(form) == [
        "What was the most useful part?",
        "Overall, how useful was the session?",
        "Which topics would you like next?",
        "Would you like to host a session yourself?",
        "If yes or maybe: what would you talk about?",
        "Room?",
    ]
    assert _positions(form) == [1, 2, 3, 4, 5, 6]
    assert form.questions.get(text="Room?").choices == ["A", "B"]


def test_with_responses_a_change_makes_a_new_version_and_the_old_one_stays(
    programme, organiser
) -> None:
    v1 = feedback_form_current(programme=programme)
    session = PastSessionFactory(programme=programme)
    respond(session, v1, {"overall": 5})
    question = v1.questions.get(text="What could be improved?")
    builder.question_delete(question=question, by=organiser)
    v2 = feedback_form_current(programme=programme)
    v1.refresh_from_db()
    assert (v1.version, v1.is_current, v2.version, v2.is_current) == (1, False, 2, True)
    assert _texts(v1) == [q[1] for q in DEFAULT_QUESTIONS]
    assert "What could be improved?" not in _texts(v2)
    assert _positions(v2) == [1, 2, 3, 4, 5]
    assert v2.questions.get(position=1).purpose == "overall"
    # No responses on v2 yet: the next change edits v2 in place.
    builder.question_add(programme=programme, by=organiser, kind="yes_no", text="Again?")
    assert (FeedbackForm.objects.filter(programme=programme).count(), _texts(v2)[-1]) == (
        2,
        "Again?",
    )


@pytest.mark.parametrize(
    ("kind", "choices", "message"),
    [
        ("single", [], "Give at least two choices, one per line."),
        ("multiple", ["Only"], "Give at least two choices, one per line."),
        ("single", ["A", "a"], "Each choice can appear only once."),
        ("rating", ["A", "B"], "Only single and multiple choice questions have choices."),
        ("single", ["x" * 101, "B"], "Keep each choice under 100 characters."),
    ],
)
def test_bad_choices_are_refused_and_change_nothing(
    programme, organiser, kind, choices, message
) -> None:
    form = feedback_form_current(programme=programme)
    with pytest.raises(ValidationError) as error:
        builder.question_add(
            programme=programme, by=organiser, kind=kind, text="Q", choices=choices
        )
    assert error.value.messages == [message]
    assert len(_texts(form)) == 6


def test_questions_with_a_purpose_keep_their_kind(programme, organiser) -> None:
    overall = feedback_form_current(programme=programme).questions.get(purpose="overall")
    with pytest.raises(ValidationError):
        builder.question_edit(question=overall, by=organiser, kind="nps", text="Score?")
    edited = builder.question_edit(question=overall, by=organiser, kind="rating", text="Score?")
    assert (edited.text, edited.kind, edited.purpose) == ("Score?", "rating", "overall")


def test_builder_page_adds_edits_moves_and_deletes(client, programme, organiser) -> None:
    client.force_login(organiser)
    url = reverse("feedback:builder", args=["talks"])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"kind": "multiple", "text": "Formats?", "choices": "Talks\nWorkshops\n\n"}
    )
    assert response.status_code == 302
    form = feedback_form_current(programme=programme)
    added = form.questions.get(text="Formats?")
    assert (added.kind, added.choices, added.position) == ("multiple", ["Talks", "Workshops"], 7)
    edit = reverse("feedback:builder_question_edit", args=["talks", added.pk])
    assert client.get(edit).status_code == 200
    client.post(edit, {"kind": "multiple", "text": "Which formats?", "choices": "A\nB\nC"})
    added.refresh_from_db()
    assert (added.text, added.choices) == ("Which formats?", ["A", "B", "C"])
    move = reverse("feedback:builder_question_move", args=["talks", added.pk])
    client.post(move, {"direction": "up"})
    assert _texts(form)[5] == "Which formats?"
    assert client.post(move, {"direction": "sideways"}).status_code == 302
    client.post(reverse("feedback:builder_question_delete", args=["talks", added.pk]))
    assert "Which formats?" not in _texts(form)


def test_builder_shows_clear_errors_for_bad_input(client, programme, organiser) -> None:
    client.force_login(organiser)
    url = reverse("feedback:builder", args=["talks"])
    response = client.post(url, {"kind": "single", "text": "  ", "choices": "One"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page
    assert "Give at least two choices, one per line." in page
    response = client.post(url, {"kind": "essay", "text": "Q"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    response = client.post(url, {"kind": "rating", "text": "Q" * 301})
    assert "Ensure this value has at most 300 characters" in response.content.decode()
    assert Question.objects.filter(form__programme=programme).count() == 6


def test_old_version_questions_and_members_are_refused(
    client, programme, organiser, person
) -> None:
    v1 = feedback_form_current(programme=programme)
    respond(PastSessionFactory(programme=programme), v1, {"overall": 3})
    old = v1.questions.get(position=2)
    builder.question_delete(question=old, by=organiser)
    client.force_login(organiser)
    edit = reverse("feedback:builder_question_edit", args=["talks", old.pk])
    assert client.get(edit).status_code == 404
    client.force_login(person)
    assert client.get(reverse("feedback:builder", args=["talks"])).status_code == 403
    current = feedback_form_current(programme=programme).questions.first()
    delete = reverse("feedback:builder_question_delete", args=["talks", current.pk])
    assert client.post(delete).status_code == 403
    assert client.get(delete).status_code in (403, 405)


def test_programme_form_sets_anonymity_and_open_days(client, programme, organiser) -> None:
    client.force_login(organiser)
    url = reverse("programmes:edit", args=["talks"])
    data = {"name": "Talks", "lead_time_days": "10", "visibility": "public"}
    response = client.post(url, {**data, "feedback_anonymous": "on", "feedback_open_days": "7"})
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (programme.feedback_anonymous, programme.feedback_open_days) == (True, 7)
    response = client.post(url, {**data, "feedback_open_days": "91"})
    assert "Ensure this value is less than or equal to 90." in response.content.decode()
    programme.refresh_from_db()
    assert (programme.feedback_anonymous, programme.feedback_open_days) == (True, 7)

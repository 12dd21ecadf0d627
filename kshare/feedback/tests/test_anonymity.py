"""Anonymous feedback stays anonymous against an organiser who watches what changes.

The attacker is an organiser of the programme (who may read results, exports and the
prospective-host list) who also reads the admin's request list and a webhook channel. After
every single submission they take a snapshot of all of it, and diff it with the previous one.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from kshare.feedback.dispatch import feedback_tick
from kshare.feedback.models import (
    FeedbackRequest,
    HostAnswerHeld,
    ProspectiveHost,
    Question,
    Response,
)
from kshare.feedback.release import feedback_release_due, possible_authors
from kshare.feedback.results import session_results
from kshare.feedback.services import response_submit
from kshare.feedback.tests.factories import FeedbackRequestFactory
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.webhooks.models import Event, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def _questions(request: FeedbackRequest) -> dict[str, Question]:
    return {q.purpose or f"text{q.position}": q for q in request.form.questions.all()}


def _submit(request: FeedbackRequest, **values: str) -> Response:
    q = _questions(request)
    data = {q[key].pk: value for key, value in values.items()}
    return response_submit(request=request, person=request.person, data=data)


def _session(*, anonymous: bool = True, people: int = 5, title: str = "Data contracts"):
    programme = ProgrammeFactory(feedback_anonymous=anonymous)
    organiser = OrganiserFactory(display_name="Olga Organiser")
    programme.organisers.add(organiser)
    session = PastSessionFactory(programme=programme, title=title)
    requests = [
        FeedbackRequestFactory(session=session, person=PersonFactory(display_name=f"P{i}"))
        for i in range(people)
    ]
    return session, organiser, requests


def _closed(requests: list[FeedbackRequest]):
    """A moment after every one of these forms has closed."""
    return max(r.closes_at for r in requests) + timedelta(minutes=1)


def _csv_rows(client: Client, session) -> list[list[str]]:
    body = client.get(reverse("feedback:session_export", args=[session.pk])).content
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))[1:]


# -- the release rule ---------------------------------------------------------------------


def test_anonymous_responses_are_held_until_three_and_then_released_together():
    session, _, requests = _session(people=5)

    _submit(requests[0], overall="5")
    _submit(requests[1], overall="1")
    assert list(Response.objects.values_list("released", flat=True)) == [False, False]
    held = session_results(session=session)
    assert (held.responses, held.overall_mean) == (0, None)

    _submit(requests[2], overall="3")

    assert list(Response.objects.values_list("released", flat=True)) == [True, True, True]
    released = session_results(session=session)
    assert (released.responses, str(released.overall_mean)) == (3, "3.00")


def test_a_named_programme_shows_each_response_at_once():
    session, _, requests = _session(anonymous=False, people=3)

    _submit(requests[0], overall="4")

    assert Response.objects.get().released is True
    assert session_results(session=session).responses == 1


def test_the_remainder_is_released_when_the_forms_close_and_enough_people_could_have_written_it():
    session, _, requests = _session(people=6)
    for request, rating in zip(requests[:4], "5432", strict=True):
        _submit(request, overall=rating)
    assert Response.objects.filter(released=False).count() == 1

    assert feedback_tick().released == 0  # still open: held
    tick = feedback_tick(now=_closed(requests))

    assert tick.released == 1
    assert session_results(session=session).responses == 4


def test_answers_from_fewer_than_three_possible_people_are_never_shown():
    session, organiser, requests = _session(people=2)
    _submit(requests[0], overall="1")
    _submit(requests[1], overall="2")

    feedback_release_due(now=_closed(requests))
    feedback_release_due(now=_closed(requests))

    assert Response.objects.filter(released=True).count() == 0
    client = Client()
    client.force_login(organiser)
    page = client.get(reverse("feedback:session_results", args=[session.pk]))
    assert page.status_code == 200
    assert page.context["results"].responses == 0
    assert "a group that would stay smaller than 3 is never shown" in page.content.decode()
    assert _csv_rows(client, session) == []


def test_a_late_attendee_is_not_named_by_the_last_remainder():
    """Three answers released; a fourth person asked later answers alone: never shown."""
    session, _, requests = _session(people=3)
    for request in requests:
        _submit(request, overall="4")
    assert Response.objects.filter(released=True).count() == 3
    late = FeedbackRequestFactory(session=session, person=PersonFactory(display_name="Late"))
    _submit(late, overall="1")

    assert feedback_release_due(now=_closed([*requests, late])).responses == 0
    assert Response.objects.filter(released=False).count() == 1


def test_host_answers_reach_the_list_only_after_the_forms_closed_and_a_tick_later():
    _, _, requests = _session(people=4)
    _submit(requests[0], overall="5", host_interest="Yes", topics_wanted="Kafka")
    _submit(requests[1], overall="4", host_interest="No")
    _submit(requests[2], overall="3")
    _submit(requests[3], overall="2", host_interest="Maybe")
    assert ProspectiveHost.objects.count() == 0
    assert HostAnswerHeld.objects.count() == 2

    first = feedback_release_due(now=_closed(requests))  # the remainder; names wait
    assert (first.responses, first.hosts) == (1, 0)
    second = feedback_release_due(now=_closed(requests))

    assert (second.responses, second.hosts) == (0, 2)
    assert sorted(
        ProspectiveHost.objects.values_list("person__display_name", "answer", "topics")
    ) == [
        ("P0", "yes", "Kafka"),
        ("P3", "maybe", ""),
    ]
    assert HostAnswerHeld.objects.count() == 0


def test_anonymous_webhooks_announce_batches_never_single_responses(
    django_capture_on_commit_callbacks,
):
    session, organiser, requests = _session(people=4)
    Webhook.objects.create(
        url="http://127.0.0.1:9/k",
        secret="whsec_test",
        events=[Event.FEEDBACK_RECEIVED],
        programme=session.programme,
        created_by=organiser,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _submit(requests[0], overall="5")
    with django_capture_on_commit_callbacks(execute=True):
        _submit(requests[1], overall="4")
    assert WebhookDelivery.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        _submit(requests[2], overall="3")

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.payload["feedback"] == {
        "anonymous": True,
        "respondent": None,
        "released": 3,
        "responses": 3,
        "requests": 4,
    }


# -- the attacker -------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Everything the organiser can see, as sets where order carries no meaning."""

    rows: tuple[tuple[str, ...], ...]  # CSV rows, sorted: what changed, not where
    row_order: tuple[tuple[str, ...], ...]  # the CSV as exported
    results: tuple
    hosts: tuple[tuple[str, str], ...]
    answered: frozenset[str]  # names ticked "answered" in the admin's request list
    hooks: tuple[str, ...]


def _answered_names(html: str) -> frozenset[str]:
    table = html[html.index('id="result_list"') :]
    table = table[: table.index("</table>")]
    rows = table.split("<tr")[2:]  # after the header row
    names = set()
    for row in rows:
        assert "icon-no" not in row or "icon-yes" not in row
        if "icon-yes" in row:
            names |= {f"P{i}" for i in range(10) if f">P{i}<" in row}
    return frozenset(names)


def _snapshot(organiser_client: Client, admin_client: Client, session) -> Snapshot:
    rows = _csv_rows(organiser_client, session)
    results = organiser_client.get(reverse("feedback:session_results", args=[session.pk]))
    data = results.context["results"]
    summary = (
        data.responses,
        str(data.overall_mean),
        tuple(data.overall_distribution),
        tuple((q.position, str(q.mean), tuple(sorted(q.texts))) for q in data.questions),
    )
    hosts = tuple(sorted(ProspectiveHost.objects.values_list("person__display_name", "answer")))
    admin = admin_client.get(
        reverse("admin:feedback_feedbackrequest_changelist") + f"?session__id__exact={session.pk}"
    )
    hooks = tuple(
        sorted(
            str(d.payload["feedback"])
            for d in WebhookDelivery.objects.filter(event=Event.FEEDBACK_RECEIVED)
        )
    )
    return Snapshot(
        rows=tuple(sorted(map(tuple, rows))),
        row_order=tuple(map(tuple, rows)),
        results=summary,
        hosts=hosts,
        answered=_answered_names(admin.content.decode()),
        hooks=hooks,
    )


ANSWERS = [
    {"overall": "5", "text2": "The live demo", "host_interest": "Yes", "topics_wanted": "Kafka"},
    {"overall": "1", "text3": "Far too long", "host_interest": "No"},
    {"overall": "4", "text2": "The examples"},
    {"overall": "2", "text3": "Slides unreadable", "host_interest": "Maybe"},
    {"overall": "3", "text2": "Q&A"},
    {"overall": "5", "text2": "Everything", "host_interest": "Yes", "topics_wanted": "dbt"},
    {"overall": "4", "text3": "More time for questions"},
]


def _play(order: list[int], answers: list[dict[str, str]]) -> tuple[list[Snapshot], list[str]]:
    """People answer one by one in ``order`` (person i gives ``answers[i]``); the organiser
    snapshots after each answer and after each tick once the forms closed."""
    session, organiser, requests = _session(people=len(answers) + 1)
    names = [r.person.display_name for r in requests]
    Webhook.objects.create(
        url="http://127.0.0.1:9/k",
        secret="whsec_test",
        events=[Event.FEEDBACK_RECEIVED],
        programme=session.programme,
        created_by=organiser,
    )
    organiser_client, admin_client = Client(), Client()
    organiser_client.force_login(organiser)
    admin_client.force_login(AdminFactory())
    snapshots = [_snapshot(organiser_client, admin_client, session)]
    for i in order:
        with TestCase.captureOnCommitCallbacks(execute=True):
            _submit(requests[i], **answers[i])
        snapshots.append(_snapshot(organiser_client, admin_client, session))
    for _ in range(2):
        with TestCase.captureOnCommitCallbacks(execute=True):
            feedback_tick(now=_closed(requests))
        snapshots.append(_snapshot(organiser_client, admin_client, session))
    return snapshots, names


def _diff_attack(snapshots: list[Snapshot], names: list[str]) -> dict[tuple[str, ...], str]:
    """The organiser's diff: a step that adds exactly one row and reveals exactly one person
    (a new host on the list, a newly ticked 'answered' flag, a webhook naming them) links
    that row to that person."""
    attributions = {}
    for before, after in itertools.pairwise(snapshots):
        new_rows = set(after.rows) - set(before.rows)
        revealed = {n for n, _ in after.hosts} - {n for n, _ in before.hosts}
        revealed |= after.answered - before.answered
        new_hooks = [h for h in after.hooks if h not in before.hooks]
        revealed |= {n for n in names if any(f"'{n}'" in h for h in new_hooks)}
        if len(new_rows) == 1 and len(revealed) == 1:
            attributions[next(iter(new_rows))] = next(iter(revealed))
    return attributions


def test_the_organisers_diff_attributes_no_answer():
    snapshots, names = _play(list(range(len(ANSWERS))), ANSWERS)

    assert _diff_attack(snapshots, names) == {}
    # Every answer was released in the end (7 answers of 8 asked), so the attack had
    # everything to work with.
    assert len(snapshots[-1].rows) == len(ANSWERS)


def test_named_channels_say_nothing_about_when_anyone_answered():
    """The same people giving the same answers in any order: the host list, the admin's
    request list and the webhooks look the same at every step."""
    rng = random.Random(7)
    orders = [list(range(len(ANSWERS)))]
    for _ in range(2):
        order = list(range(len(ANSWERS)))
        rng.shuffle(order)
        orders.append(order)
    seen = []
    for order in orders:
        snapshots, _ = _play(order, ANSWERS)
        seen.append([(s.hosts, s.answered, s.hooks) for s in snapshots])
        for model in (Response, ProspectiveHost, HostAnswerHeld, WebhookDelivery):
            model.objects.all().delete()
    assert seen[1] == seen[0]
    assert seen[2] == seen[0]


def test_two_people_who_swap_their_answers_leave_the_same_trace():
    """Within a batch the organiser cannot tell who wrote which row: swapping two people's
    anonymous answers changes no snapshot (rows compared as sets, results, names, hooks),
    and the exported row order is a keyed hash, not the order of answering."""
    swapped = list(ANSWERS)
    # Persons 1 and 2 answer in the same batch (the first three answers).
    swapped[1] = {**ANSWERS[2], "host_interest": ANSWERS[1].get("host_interest", "")}
    swapped[2] = {**ANSWERS[1]}
    swapped[2].pop("host_interest", None)
    swapped = [{k: v for k, v in a.items() if v} for a in swapped]
    first, _ = _play(list(range(len(ANSWERS))), ANSWERS)
    for model in (Response, ProspectiveHost, HostAnswerHeld, WebhookDelivery):
        model.objects.all().delete()
    second, _ = _play(list(range(len(swapped))), swapped)

    def visible(s: Snapshot):
        return (s.rows, s.results, s.hosts, s.answered, s.hooks)

    assert [visible(s) for s in first] == [visible(s) for s in second]


# -- who could have written the held responses ---------------------------------------------


def _t(hour: int):
    return timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hour)


def test_possible_authors_when_everyone_was_asked_at_once():
    people = [(_t(0), _t(100))] * 8
    batches = [((None, _t(5)), 3), ((_t(5), _t(9)), 3)]

    assert possible_authors(people=people, batches=batches, held=1, need=99) == 8


def test_possible_authors_leave_out_a_form_that_closed_before_the_last_release():
    people = [(_t(0), _t(100))] * 4 + [(_t(0), _t(3))]
    batches = [((None, _t(5)), 3)]

    assert possible_authors(people=people, batches=batches, held=1, need=99) == 4


def test_a_late_attendee_is_the_only_possible_author():
    people = [(_t(0), _t(100))] * 3 + [(_t(10), _t(110))]
    batches = [((None, _t(5)), 3)]

    assert possible_authors(people=people, batches=batches, held=1, need=99) == 1


def test_possible_authors_stop_counting_at_what_is_needed():
    people = [(_t(0), _t(100))] * 50

    assert possible_authors(people=people, batches=[], held=2, need=3) == 3

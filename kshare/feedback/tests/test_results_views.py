"""Results pages and CSV exports: who sees what, anonymity, RFC 4180, query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kshare.feedback.models import Answer, Response
from kshare.feedback.services import feedback_form_current
from kshare.feedback.tests.results_helpers import request_for, respond
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import SessionHost, Visibility
from kshare.sessions.tests.factories import PastSessionFactory

pytestmark = pytest.mark.django_db

NAMES = [
    "Zelda Secretname",
    "zelda.secret@example.com",
    "Quentin Hiddenperson",
    "quentin@example.com",
]


@pytest.fixture
def anonymous_world():
    programme = ProgrammeFactory(name="Quiet Talks", slug="quiet", feedback_anonymous=True)
    organiser = OrganiserFactory(display_name="Olga Organiser")
    programme.organisers.add(organiser)
    host = PersonFactory(display_name="Hal Host")
    session = PastSessionFactory(programme=programme, title="Secrets", host=host)
    form = feedback_form_current(programme=programme)
    zelda = PersonFactory(display_name=NAMES[0], email=NAMES[1])
    quentin = PersonFactory(display_name=NAMES[2], email=NAMES[3])
    for person, rating, text in ((zelda, 5, "Loved it, Hal"), (quentin, 3, 'Too fast, "really"')):
        request_for(session, person, form)
        respond(session, form, {"overall": rating, "What could be improved?": text}, person)
    return {
        "programme": programme,
        "session": session,
        "host": host,
        "organiser": organiser,
        "admin": AdminFactory(display_name="Ada Admin"),
        "attendees": [zelda, quentin],
    }


def _get(client, person, url):
    client.force_login(person)
    return client.get(url)


def _no_names(text: str, world) -> None:
    for secret in NAMES:
        assert secret not in text
    for person in world["attendees"]:
        assert f"/people/{person.pk}/" not in text


def test_anonymous_responses_store_no_person(anonymous_world) -> None:
    assert list(Response.objects.values_list("person_id", flat=True)) == [None, None]


@pytest.mark.parametrize("who", ["host", "organiser", "admin"])
def test_anonymous_results_pages_and_exports_contain_no_names(client, anonymous_world, who):
    world, viewer = anonymous_world, anonymous_world[who]
    urls = [
        reverse("feedback:session_results", args=[world["session"].pk]),
        reverse("feedback:session_export", args=[world["session"].pk]),
        reverse("feedback:session_export", args=[world["session"].pk]) + "?bom=1",
    ]
    if who != "host":
        urls += [
            reverse("feedback:programme_results", args=["quiet"]),
            reverse("feedback:programme_export", args=["quiet"]),
        ]
    for url in urls:
        response = _get(client, viewer, url)
        assert (url, response.status_code) == (url, 200)
        _no_names(response.content.decode("utf-8-sig"), world)
    page = _get(client, viewer, urls[0]).content.decode()
    assert "Loved it, Hal" in page
    assert "person" not in _get(client, viewer, urls[1]).content.decode().splitlines()[0]


def test_anonymous_responses_in_the_django_admin_contain_no_names(client, anonymous_world):
    world = anonymous_world
    client.force_login(world["admin"])
    response_pk = Response.objects.first().pk
    answer_pk = Answer.objects.first().pk
    for url in [
        reverse("admin:feedback_response_changelist"),
        reverse("admin:feedback_response_change", args=[response_pk]),
        reverse("admin:feedback_answer_changelist"),
        reverse("admin:feedback_answer_change", args=[answer_pk]),
    ]:
        response = client.get(url)
        assert (url, response.status_code) == (url, 200)
        _no_names(response.content.decode(), world)


def test_session_page_shows_the_headline_chart_and_comparison(client, anonymous_world):
    page = _get(
        client,
        anonymous_world["host"],
        reverse("feedback:session_results", args=[anonymous_world["session"].pk]),
    ).content.decode()
    assert '<p class="headline">4.0 / 5</p>' in page
    assert "from 2 responses (100% of 2 asked)" in page
    assert (
        '<desc id="overall-d">5 stars 1, 4 stars 0, 3 stars 1, 2 stars 0, 1 star 0 '
        "(from 2 responses)</desc>"
    ) in page
    assert "This session 4.00 out of 5; Programme average 4.00 out of 5." in page
    assert "style=" not in page


def test_members_get_403_and_invisible_sessions_404(client, anonymous_world, person):
    session = anonymous_world["session"]
    for name in ("feedback:session_results", "feedback:session_export"):
        assert _get(client, person, reverse(name, args=[session.pk])).status_code == 403
    for name in ("feedback:programme_results", "feedback:programme_export", "feedback:builder"):
        assert _get(client, person, reverse(name, args=["quiet"])).status_code == 403
    hidden = PastSessionFactory(visibility=Visibility.INVITE_ONLY)
    assert (
        _get(client, person, reverse("feedback:session_results", args=[hidden.pk])).status_code
        == 404
    )
    assert (
        _get(client, person, reverse("feedback:session_results", args=[999999])).status_code == 404
    )
    assert (
        _get(client, person, reverse("feedback:programme_results", args=["nope"])).status_code
        == 404
    )
    # A host sees the session's results but not the programme's.
    host = anonymous_world["host"]
    assert (
        _get(client, host, reverse("feedback:programme_results", args=["quiet"])).status_code == 403
    )


@pytest.fixture
def named_world():
    programme = ProgrammeFactory(name="Open Talks", slug="open", feedback_anonymous=False)
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    host = PersonFactory()
    session = PastSessionFactory(programme=programme, title="Commas, quotes", host=host)
    form = feedback_form_current(programme=programme)
    zoe = PersonFactory(display_name="Zoë Named", email="zoe@example.com")
    respond(
        session,
        form,
        {
            "overall": 4,
            "What was the most useful part?": 'Line one\nline two, with "quotes"',
            "host_interest": ["Maybe"],
            "What could be improved?": "=HYPERLINK(1)",
        },
        zoe,
    )
    return programme, session, organiser, host


def _rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_is_rfc_4180_with_names_only_for_organisers(client, named_world) -> None:
    _, session, organiser, host = named_world
    url = reverse("feedback:session_export", args=[session.pk])
    response = _get(client, organiser, url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content
    assert not raw.startswith(b"\xef\xbb\xbf")
    # Two records end in CRLF; the newline inside the quoted answer stays as it was typed.
    assert (raw.count(b"\r\n"), raw.endswith(b"\r\n")) == (2, True)
    rows = _rows(response)
    assert rows[0] == [
        "session",
        "date",
        "person",
        "Overall, how useful was the session?",
        "What was the most useful part?",
        "What could be improved?",
        "Which topics would you like next?",
        "Would you like to host a session yourself?",
        "If yes or maybe: what would you talk about?",
    ]
    assert rows[1][0] == "Commas, quotes"
    assert rows[1][2:] == [
        "Zoë Named <zoe@example.com>",
        "4",
        'Line one\nline two, with "quotes"',
        "'=HYPERLINK(1)",
        "",
        "Maybe",
        "",
    ]
    host_rows = _rows(_get(client, host, url))
    assert "person" not in host_rows[0]
    assert "Zoë Named" not in str(host_rows)


def test_bom_only_when_asked(client, named_world) -> None:
    programme, session, organiser, _ = named_world
    for url in (
        reverse("feedback:session_export", args=[session.pk]),
        reverse("feedback:programme_export", args=[programme.slug]),
    ):
        plain = _get(client, organiser, url).content
        with_bom = _get(client, organiser, url + "?bom=1").content
        assert (plain[:3] == b"\xef\xbb\xbf", with_bom[:3] == b"\xef\xbb\xbf") == (False, True)
        assert with_bom[3:] == plain


def test_non_anonymous_pages_show_no_names_either(client, named_world) -> None:
    programme, session, organiser, host = named_world
    for viewer, url in (
        (host, reverse("feedback:session_results", args=[session.pk])),
        (organiser, reverse("feedback:session_results", args=[session.pk])),
        (organiser, reverse("feedback:programme_results", args=[programme.slug])),
    ):
        page = _get(client, viewer, url).content.decode()
        assert ("Zoë Named" in page, "zoe@example.com" in page) == (False, False)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_pages_and_exports_use_the_same_number_of_queries_for_10_and_200_responses(client):
    programme = ProgrammeFactory(slug="busy")
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    form = feedback_form_current(programme=programme)
    few, many = PastSessionFactory(programme=programme), PastSessionFactory(programme=programme)
    for session, n in ((few, 10), (many, 200)):
        for i in range(n):
            respond(
                session,
                form,
                {"overall": 1 + i % 5, "What could be improved?": f"c{i}", "host_interest": ["No"]},
            )
    client.force_login(organiser)
    # The first page computes the programme's mean and caches it for both
    # (test_overall_ratings_cache.py).
    assert (
        _queries(client, reverse("feedback:session_results", args=[few.pk]))
        == _queries(client, reverse("feedback:session_results", args=[few.pk])) + 1
    )
    for name in ("feedback:session_results", "feedback:session_export"):
        assert _queries(client, reverse(name, args=[few.pk])) == _queries(
            client, reverse(name, args=[many.pk])
        )
    SessionHost.objects.create(session=many, person=PersonFactory())
    assert _queries(client, reverse("feedback:programme_results", args=["busy"])) <= 15


def test_session_page_links_to_results_for_hosts_only(client, anonymous_world, person) -> None:
    session = anonymous_world["session"]
    url = reverse("sessions:detail", args=[session.pk])
    link = reverse("feedback:session_results", args=[session.pk])
    assert link in _get(client, anonymous_world["host"], url).content.decode()
    assert link not in _get(client, person, url).content.decode()
    programme_page = _get(
        client, anonymous_world["organiser"], reverse("programmes:detail", args=["quiet"])
    ).content.decode()
    assert reverse("feedback:programme_results", args=["quiet"]) in programme_page


def test_csv_export_neutralises_every_formula_start(client) -> None:
    from kshare.core.tests.csv_payloads import EXPECTED, PAYLOADS

    programme = ProgrammeFactory(feedback_anonymous=False)
    organiser = OrganiserFactory()
    programme.organisers.add(organiser)
    session = PastSessionFactory(programme=programme, title=PAYLOADS[0])
    form = feedback_form_current(programme=programme)
    for payload in PAYLOADS:
        respond(
            session,
            form,
            {"overall": 4, "What could be improved?": payload},
            PersonFactory(display_name=payload),
        )
    rows = _rows(_get(client, organiser, reverse("feedback:session_export", args=[session.pk])))
    improved = rows[0].index("What could be improved?")
    assert sorted(row[improved] for row in rows[1:]) == sorted(EXPECTED)
    assert {row[0] for row in rows[1:]} == {EXPECTED[0]}
    assert sorted(row[2].split(" <")[0] for row in rows[1:]) == sorted(EXPECTED)

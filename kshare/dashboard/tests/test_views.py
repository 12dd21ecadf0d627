import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kshare.dashboard.charts import grouped_bar_chart
from kshare.dashboard.selectors import figure_compute
from kshare.dashboard.tests.conftest import END, START, at
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.programmes.tests.factories import ProgrammeFactory
from kshare.sessions.models import Attendance, Session, State
from kshare.sessions.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

Q1 = "?period=custom&start=2026-01-01&end=2026-03-31"


@pytest.fixture
def organiser_client(client, db):
    client.force_login(OrganiserFactory())
    return client


def test_anonymous_goes_to_sign_in(client, db):
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("dashboard:csv", args=["sessions"]))["Location"].startswith(
        reverse("login")
    )


def test_member_is_refused(member_client):
    assert member_client.get(reverse("dashboard:index")).status_code == 403
    assert member_client.get(reverse("dashboard:csv", args=["sessions"])).status_code == 403
    assert b"Dashboard</a>" not in member_client.get(reverse("home")).content


@pytest.mark.parametrize("factory", [OrganiserFactory, AdminFactory])
def test_organisers_and_admins_see_it(client, db, factory):
    client.force_login(factory())
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page">Dashboard</a>' in html
    for title in ["Sessions per month", "Reach by team", "Hosts per quarter"]:
        assert f">{title}</h3>" in html
    assert "style=" not in html and "<script>" not in html


def test_page_shows_figures_charts_tables_and_csv_links(org):
    from django.test import Client

    client = Client()
    client.force_login(org.olga)
    response = client.get(reverse("dashboard:index") + Q1 + f"&programme={org.talks.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    # One accessible chart per figure: role, title and desc referenced by aria-labelledby.
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([^"]+)"', html)
    assert len(charts) == 9
    for labelled in charts:
        title_id, desc_id = labelled.split()
        assert f'<title id="{title_id}">' in html and f'<desc id="{desc_id}">' in html
    assert (
        '<desc id="chart-sessions-d">2026-01: Proposed 1, Scheduled 0, Held 1, Cancelled 0;' in html
    )
    assert '<th scope="row">2026-02</th>' in html
    csv_url = reverse("dashboard:csv", args=["sessions"]) + (
        f"?programme={org.talks.pk}&amp;period=custom&amp;start=2026-01-01&amp;end=2026-03-31"
    )
    assert f'href="{csv_url}"' in html


def test_csv_export(org, client):
    client.force_login(org.olga)
    response = client.get(reverse("dashboard:csv", args=["sessions"]) + Q1)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="kshare-sessions-2026-01-01-2026-03-31.csv"' in response["Content-Disposition"]
    assert response.content.decode() == (
        "Month,Proposed,Scheduled,Held,Cancelled\r\n"
        "2026-01,2,0,1,0\r\n"
        "2026-02,1,3,1,0\r\n"
        "2026-03,2,1,1,1\r\n"
    )
    feedback = client.get(reverse("dashboard:csv", args=["feedback"]) + Q1 + f"&team={org.data.pk}")
    # Sessions with a host in Data: S1 (Ana) and S3 (Ben, Ana).
    assert feedback.content.decode() == (
        "Month,Average rating,Responses,Requests,Response rate (%)\r\n"
        "2026-01,4.50,2,4,50.0\r\n"
        "2026-02,,0,0,\r\n"
        "2026-03,,0,1,0.0\r\n"
    )


def test_bad_filters(organiser_client):
    url = reverse("dashboard:index")
    response = organiser_client.get(url + "?period=custom&start=2026-03-01&end=2026-01-01")
    assert response.status_code == 200
    assert "The period must end on or after its first day." in response.content.decode()
    assert "<svg" not in response.content.decode()
    csv = organiser_client.get(reverse("dashboard:csv", args=["sessions"]) + "?period=custom")
    assert csv.status_code == 400
    assert "Choose the first day of the period." in csv.content.decode()
    far = organiser_client.get(url + "?period=custom&start=2026-01-01&end=9999-12-31")
    assert "Choose a date between 1970 and 2999." in far.content.decode()
    long = organiser_client.get(url + "?period=custom&start=2010-01-01&end=2026-12-31")
    assert "Choose a period of at most five years." in long.content.decode()
    assert organiser_client.get(url + "?programme=999999").status_code == 200
    assert organiser_client.get(url + "?period=forever").status_code == 200
    assert organiser_client.get(reverse("dashboard:csv", args=["nope"])).status_code == 404


def test_presets(organiser_client, settings):
    response = organiser_client.get(reverse("dashboard:index") + "?period=3m")
    rows = response.context["figures"][0]["result"].rows
    assert len(rows) == 3
    response = organiser_client.get(reverse("dashboard:index") + "?period=year")
    assert response.context["filters"].start.month == 1


def test_cache_is_used_and_invalidated_by_a_new_held_session(
    org, client, django_capture_on_commit_callbacks
):
    client.force_login(org.olga)
    url = reverse("dashboard:csv", args=["sessions"]) + Q1
    assert "2026-01,2,0,1,0" in client.get(url).content.decode()
    # A write that sends no signal is not seen: the figure comes from the cache.
    Session.objects.filter(pk=org.s2.pk).update(start=at(1, 20), end=at(1, 20) + timedelta(hours=1))
    assert "2026-01,2,0,1,0" in client.get(url).content.decode()
    # A new held session (saved through the ORM) bumps the data version after commit.
    with django_capture_on_commit_callbacks(execute=True):
        SessionFactory(programme=org.talks, state=State.HELD, start=at(1, 25), created_at=at(1, 2))
    body = client.get(url).content.decode()
    assert "2026-01,3,0,3,0" in body  # S2 moved to January too, and the new one
    assert figure_compute("sessions", start=START, end=END).rows[0] == ("2026-01", 3, 0, 3, 0)
    # Deleting an attendance also invalidates.
    before = figure_compute("reach", start=START, end=END).headline
    with django_capture_on_commit_callbacks(execute=True):
        Attendance.objects.filter(session=org.s3, person=org.eve).delete()
        Attendance.objects.filter(session=org.s1, person=org.eve).delete()
    assert figure_compute("reach", start=START, end=END).headline != before


def test_the_version_is_bumped_after_commit(org, django_capture_on_commit_callbacks):
    from kshare.dashboard.models import DataVersion
    from kshare.dashboard.selectors import data_version

    data_version()  # creates the row
    with django_capture_on_commit_callbacks() as callbacks:
        Attendance.objects.create(session=org.s3, person=org.ana)
    assert DataVersion.objects.get().value == 0
    for callback in callbacks:
        callback()
    assert DataVersion.objects.get().value == 1


def _page_queries(client, cold: bool) -> int:
    if cold:
        caches["dashboard"].clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboard:index") + Q1).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_data(client, db):
    organiser = OrganiserFactory()
    client.force_login(organiser)
    programme = ProgrammeFactory()

    def add(n):
        for i in range(n):
            s = SessionFactory(
                programme=programme, state=State.HELD, start=at(1 + i % 3, 1 + i), host=None
            )
            Attendance.objects.create(session=s, person=PersonFactory())

    add(2)
    _page_queries(client, True)  # the first visit creates the data version row
    small_cold, small_warm = _page_queries(client, True), _page_queries(client, False)
    add(8)
    assert _page_queries(client, True) == small_cold
    assert _page_queries(client, False) == small_warm
    assert small_warm < small_cold


def test_grouped_chart_is_accessible_and_escaped():
    svg = grouped_bar_chart(
        chart_id="c",
        title="A <b>",
        labels=["x&y", "z"],
        series=[("One", [1, None]), ("Two", [2, 0])],
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" ')
    assert '<title id="c-t">A &lt;b&gt;</title>' in svg
    assert '<desc id="c-d">x&amp;y: One 1, Two 2; z: One —, Two 0.</desc>' in svg
    assert "style=" not in svg
    with pytest.raises(ValueError):
        grouped_bar_chart(chart_id="c", title="t", labels=["a"], series=[("One", [])])


def _headline(response, figure: str = "sessions") -> str:
    section = response.content.decode().split(f'id="fig-{figure}-h"', 1)[1]
    return re.search(r'<p class="headline" id="[^"]*">([^<]*)</p>', section).group(1)


def test_page_shows_the_previous_figures_while_a_task_recomputes(
    org, client, django_capture_on_commit_callbacks
):
    client.force_login(org.olga)
    url = reverse("dashboard:index") + Q1
    first = client.get(url)
    assert first.context["figures"][0]["result"].headline == 3
    assert first.context["stale_since"] is None
    assert _headline(first) == "3"
    assert _headline(client.get(url)) == "3"  # the rendered figures, from their cache
    with django_capture_on_commit_callbacks(execute=True):
        SessionFactory(programme=org.talks, state=State.HELD, start=at(1, 25), created_at=at(1, 2))
    # The page answers at once with the figures from before the change, marked as updating...
    second = client.get(url)
    assert second.context["figures"][0]["result"].headline == 3
    assert second.context["figures"][0]["result"].stale
    assert "Being updated with the latest changes" in second.content.decode()
    assert '<span class="badge">updating</span>' in second.content.decode()
    # ...and the refresh task (run at once by the tests' task backend) computed the new ones.
    third = client.get(url)
    assert third.context["figures"][0]["result"].headline == 4
    assert third.context["stale_since"] is None
    assert _headline(third) == "4"  # the rendered figures follow their data
    # The CSV export never serves an outdated figure.
    with django_capture_on_commit_callbacks(execute=True):
        SessionFactory(programme=org.talks, state=State.HELD, start=at(2, 25), created_at=at(2, 2))
    csv = client.get(reverse("dashboard:csv", args=["sessions"]) + Q1).content.decode()
    assert "2026-02,2,3,2,0" in csv


def test_refresh_task_is_idempotent(org):
    from kshare.dashboard.figures import filters_make
    from kshare.dashboard.selectors import figures_refresh

    filters = filters_make(start=START, end=END)
    assert figures_refresh(filters) == 9
    assert figures_refresh(filters) == 0


def test_signing_in_or_answering_an_invitation_does_not_invalidate(
    org, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import update_last_login

    with django_capture_on_commit_callbacks() as callbacks:
        update_last_login(None, org.ana)
        invitation = org.s1.invitations.get(person=org.ana)
        invitation.response = "yes"
        invitation.save(update_fields=["response"])
    assert not [c for c in callbacks if getattr(c, "__name__", "") == "data_version_bump"]
    with django_capture_on_commit_callbacks() as callbacks:
        org.ana.team = org.web
        org.ana.save(update_fields=["team"])
    assert [c for c in callbacks if getattr(c, "__name__", "") == "data_version_bump"]


def test_clock_keeps_the_default_dashboard_computed(organiser_client):
    from kshare.core.ticks import periodic_tasks
    from kshare.dashboard.tasks import dashboard_tick_task

    assert "kshare.dashboard.tasks.dashboard_tick_task" in periodic_tasks()
    assert dashboard_tick_task.call() == 9
    assert dashboard_tick_task.call() == 0  # idempotent
    with CaptureQueriesContext(connection) as ctx:
        organiser_client.get(reverse("dashboard:index"))
    assert not [q for q in ctx.captured_queries if "talks_session" in q["sql"]]


def test_csv_neutralises_every_formula_start_in_team_names(organiser_client):
    from kshare.core.tests.csv_payloads import EXPECTED, PAYLOADS
    from kshare.people.tests.factories import TeamFactory

    for payload in PAYLOADS:
        PersonFactory(team=TeamFactory(name=payload))
    response = organiser_client.get(reverse("dashboard:csv", args=["reach"]) + Q1)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    teams = [row[0] for row in rows[1:]]
    assert sorted(t for t in teams if t.startswith("'")) == sorted(EXPECTED)


def test_a_chart_is_drawn_once_per_content(monkeypatch):
    from kshare.dashboard import views
    from kshare.dashboard.figures import FigureResult

    drawn = []
    real = views._chart_draw
    monkeypatch.setattr(views, "_chart_draw", lambda result: drawn.append(1) or real(result))
    monkeypatch.setattr(views, "_CHARTS", {})

    def figure(held: int) -> FigureResult:
        return FigureResult(
            name="sessions",
            title="Sessions",
            unit="sessions",
            columns=["month", "held"],
            rows=[("2026-01", held)],
            headline=held,
            headline_label="held",
            series=(1,),
        )

    first = views.chart_for(figure(3))
    assert views.chart_for(figure(3)) == first
    assert len(drawn) == 1
    changed = views.chart_for(figure(4))
    assert changed != first
    assert changed == real(figure(4))
    assert len(drawn) == 2

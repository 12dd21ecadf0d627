"""Dashboard figures through the API: organisers and admins only, the figures' own numbers."""

from __future__ import annotations

import pytest

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.dashboard.figures import FIGURES
from kshare.dashboard.tests.conftest import END, START, _empty_cache, org  # noqa: F401
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory

pytestmark = pytest.mark.django_db

PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


def api_for(person, scope: str = "read") -> ApiClient:
    return ApiClient(token_create(person, scope=scope))


def test_one_figure_matches_the_hand_computed_numbers(org):  # noqa: F811
    body = api_for(org.olga).get("dashboard/figures/sessions", PERIOD).json()
    assert body["name"] == "sessions"
    assert body["title"] == "Sessions per month"
    assert body["columns"] == ["Month", "Proposed", "Scheduled", "Held", "Cancelled"]
    assert body["rows"] == [
        ["2026-01", 2, 0, 1, 0],
        ["2026-02", 1, 3, 1, 0],
        ["2026-03", 2, 1, 1, 1],
    ]
    assert body["headline"] == 3
    assert (body["start"], body["end"], body["programme"], body["team"]) == (
        "2026-01-01",
        "2026-03-31",
        None,
        None,
    )
    assert body["formula"] == FIGURES["sessions"].formula
    # Shares are numbers with one decimal.
    lead = api_for(org.olga).get("dashboard/figures/lead_time", PERIOD).json()
    assert lead["rows"][1] == ["2026-02", 1, 0, 0.0]
    assert lead["headline"] == 75.0


def test_every_figure_and_the_filters(org):  # noqa: F811
    client = api_for(org.olga)
    body = client.get("dashboard/figures", PERIOD).json()
    assert [f["name"] for f in body["items"]] == list(FIGURES)
    filtered = client.get(
        "dashboard/figures/sessions", {**PERIOD, "programme": org.guild.pk, "team": org.data.pk}
    ).json()
    assert (filtered["programme"], filtered["team"]) == (org.guild.pk, org.data.pk)
    definitions = client.get("dashboard/definitions").json()["items"]
    assert [d["name"] for d in definitions] == list(FIGURES)
    assert all("=" in d["formula"] for d in definitions)


def test_default_period_is_the_last_twelve_months(org):  # noqa: F811
    body = api_for(org.olga).get("dashboard/figures/sessions").json()
    assert len(body["rows"]) == 12


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"start": "2026-01-01"}, 400, "end"),
        ({"start": "2026-03-01", "end": "2026-01-01"}, 400, "end"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, 400, "end"),
        ({"programme": 999999}, 400, "programme"),
        ({"team": 999999}, 400, "team"),
        ({"start": "January"}, 422, "start"),
        ({"programme": "x"}, 422, "programme"),
    ],
)
def test_bad_filters(params, status, field):
    response = api_for(OrganiserFactory()).get("dashboard/figures/sessions", params)
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]


def test_only_organisers_and_admins():
    for person in (OrganiserFactory(), AdminFactory()):
        assert api_for(person).get("dashboard/figures/reach").status_code == 200
    member = api_for(PersonFactory())
    for path in ("dashboard/figures/reach", "dashboard/figures", "dashboard/definitions"):
        response = member.get(path)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert ApiClient().get("dashboard/figures").status_code == 401
    response = api_for(AdminFactory()).get("dashboard/figures/happiness")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_figures_come_from_the_cache(org, django_assert_max_num_queries):  # noqa: F811
    client = api_for(org.olga)
    client.get("dashboard/figures", PERIOD)
    # The token and the data version's few small queries: no figure is computed again.
    with django_assert_max_num_queries(6):
        assert len(client.get("dashboard/figures", PERIOD).json()["items"]) == len(FIGURES)


def test_days_out_of_range_are_422_not_a_crash():
    client = api_for(OrganiserFactory())
    response = client.get(
        "dashboard/figures/sessions", {"start": "9999-12-30", "end": "9999-12-31"}
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"start", "end"}

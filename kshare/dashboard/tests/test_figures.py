"""Each figure against the hand-built organisation of conftest.org (period 2026-01-01..03-31)."""

from datetime import date
from decimal import Decimal as D

import pytest

from kshare.dashboard.figures import FIGURES
from kshare.dashboard.selectors import figure_compute
from kshare.dashboard.tests.conftest import END, START

pytestmark = pytest.mark.django_db


def fig(name, **kwargs):
    kwargs.setdefault("start", START)
    kwargs.setdefault("end", END)
    return figure_compute(name, **kwargs)


def test_every_figure_states_its_formula():
    assert len(FIGURES) == 9
    for figure in FIGURES.values():
        assert "=" in figure.formula, figure.name
        assert "Headline" in figure.formula, figure.name


def test_sessions_per_month(org):
    # proposed by created_at: Jan S2 S3, Feb S4, Mar S5 S7; scheduled entries: Feb S2 S3 S4,
    # Mar S7 (S1's was in Dec); held by start: S1 Jan, S2 Feb, S3 Mar; cancelled: S4 in March.
    result = fig("sessions")
    assert result.columns == ["Month", "Proposed", "Scheduled", "Held", "Cancelled"]
    assert result.rows == [
        ("2026-01", 2, 0, 1, 0),
        ("2026-02", 1, 3, 1, 0),
        ("2026-03", 2, 1, 1, 1),
    ]
    assert result.headline == 3


def test_lead_time(org):
    # S1 26 days >= 14 yes; S2 9 days < 14 no; S3 13 days >= 7 (Guild) yes; S4 32 days yes.
    result = fig("lead_time")
    assert result.rows == [
        ("2026-01", 1, 1, D("100.0")),
        ("2026-02", 1, 0, D("0.0")),
        ("2026-03", 2, 2, D("100.0")),
    ]
    assert result.headline == D("75.0")


def test_hosts_per_quarter(org):
    # Q1 held: S1 Ana, S2 Cy, S3 Ben + Ana -> 3 hosts; Ben first hosted S6 in Nov 2025.
    result = fig("hosts")
    assert result.rows == [("2026 Q1", 3, 2)]
    assert result.headline == 3


def test_conversion(org):
    # Attendees: Ben, Cy, Dee, Eve (S1, Jan 15), Ana (S2, Feb 10). Later hosted: Ana (S3 Mar 5),
    # Ben (S3), Cy (S2 Feb 10), Dee (S7 Apr 15); Eve never -> 4 / 5.
    result = fig("conversion")
    assert result.columns == ["Period", "Attended", "Later hosted", "Conversion (%)"]
    assert result.rows == [("2026-01-01 to 2026-03-31", 5, 4, D("80.0"))]
    assert result.headline == D("80.0")


def test_reach(org):
    # Active: Data Ana Ben (Gone is inactive); Web Cy Dee Fay; no team Eve Olga.
    result = fig("reach")
    assert result.rows == [
        ("Data", 2, 2, D("100.0")),
        ("Web", 3, 2, D("66.7")),
        ("No team", 2, 1, D("50.0")),
    ]
    assert result.headline == D("71.4")  # 5 / 7


def test_feedback(org):
    result = fig("feedback")
    assert result.rows == [
        ("2026-01", D("4.50"), 2, 4, D("50.0")),
        ("2026-02", D("3.00"), 1, 2, D("50.0")),
        ("2026-03", None, 0, 1, D("0.0")),
    ]
    assert result.headline == D("4.00")  # (5 + 4 + 3) / 3; S6's 1 is outside the period
    assert result.chart == "trend"


def test_idea_to_session(org):
    # Idea -> S2: 40 d 10 h = 40.42 d; topics -> S1 41 d, S3 10 d; S5 is not held.
    result = fig("idea_to_session")
    assert result.rows == [
        ("Ideas", 1, D("40.4"), D("40.4")),
        ("Topic requests", 2, D("25.5"), D("25.5")),
        ("Both", 3, D("40.4"), D("30.5")),  # (40.42 + 41 + 10) / 3 = 30.47
    ]
    assert result.headline == D("40.4")


def test_sharing_hours(org):
    # Knowledge: S1 1 h, S2 0.5 h, S3 2 h. Information: all-hands 1 h on Jan 1 and Feb 1
    # (March cancelled) + Data standup 2 x 15 min in January.
    result = fig("hours")
    assert result.rows == [
        ("2026-01", D("1.0"), D("1.5")),
        ("2026-02", D("0.5"), D("1.0")),
        ("2026-03", D("2.0"), D("0.0")),
    ]
    assert result.headline == D("58.3")  # 3.5 / (3.5 + 2.5)


def test_catch_up(org):
    # S1 (recording): absent Ana, Fay; watched Fay, Cy. S2 (slides): absent Ben, who watched.
    # S3 has no material: its absentee and watcher do not count.
    result = fig("catch_up")
    assert result.rows == [
        ("2026-01", 2, 2, 1, D("50.0")),
        ("2026-02", 1, 1, 1, D("100.0")),
        ("2026-03", 0, 0, 0, None),
    ]
    assert result.headline == D("66.7")


def test_programme_filter(org):
    # Guild: S3 (created Jan 20, scheduled Feb 20, held Mar 5) and S7 (created Mar 25,
    # scheduled Mar 26, held in April: outside).
    result = fig("sessions", programme=org.guild)
    assert result.rows == [
        ("2026-01", 1, 0, 0, 0),
        ("2026-02", 0, 1, 0, 0),
        ("2026-03", 1, 1, 1, 0),
    ]
    assert fig("lead_time", programme=org.guild.pk).rows[2] == ("2026-03", 1, 1, D("100.0"))
    # Reach counts Guild attendance only: Eve at S3.
    assert [row[2] for row in fig("reach", programme=org.guild).rows] == [0, 0, 1]


def test_team_filter(org):
    # Sessions with a host in Web: S2 (Cy), S4 and S7 (Dee).
    assert fig("sessions", team=org.web).rows == [
        ("2026-01", 1, 0, 0, 0),
        ("2026-02", 1, 2, 1, 0),
        ("2026-03", 1, 1, 0, 1),
    ]
    # Hosts in Data: Ana (first time), Ben.
    assert fig("hosts", team=org.data).rows == [("2026 Q1", 2, 1)]
    assert fig("reach", team=org.web).rows == [("Web", 3, 2, D("66.7"))]
    # Web: the company-wide all-hands only; knowledge: S2.
    assert fig("hours", team=org.web).rows == [
        ("2026-01", D("0.0"), D("1.0")),
        ("2026-02", D("0.5"), D("1.0")),
        ("2026-03", D("0.0"), D("0.0")),
    ]
    # Absentees in Data: Ana (S1, did not watch), Ben (S2, watched).
    assert fig("catch_up", team=org.data).rows[:2] == [
        ("2026-01", 0, 1, 0, D("0.0")),
        ("2026-02", 1, 1, 1, D("100.0")),
    ]


def test_period_filter(org):
    result = fig("sessions", start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert result.rows == [("2026-02", 1, 3, 1, 0)]
    assert fig("hosts", start=date(2026, 4, 1), end=date(2026, 4, 30)).rows == [("2026 Q2", 1, 1)]
    assert fig("conversion", start=date(2026, 3, 1), end=date(2026, 3, 31)).rows == [
        ("2026-03-01 to 2026-03-31", 1, 0, D("0.0"))
    ]


def test_empty_organisation(db):
    for name in FIGURES:
        result = fig(name)
        assert result.headline in (None, 0), name


def test_period_defaults_and_limits(db):
    today = date.today()
    result = figure_compute("sessions")
    assert len(result.rows) == 12 and result.rows[-1][0] == f"{today:%Y-%m}"
    assert [r[0] for r in figure_compute("sessions", end=date(2026, 3, 15)).rows][:2] == [
        "2025-04",
        "2025-05",
    ]
    with pytest.raises(ValueError):
        figure_compute("sessions", start=date(2026, 3, 1), end=date(2026, 2, 1))
    with pytest.raises(ValueError):
        figure_compute("sessions", start=date(2015, 1, 1), end=date(2026, 2, 1))
    with pytest.raises(ValueError):
        figure_compute("sessions", start=date(9999, 1, 1), end=date(9999, 12, 31))
    with pytest.raises(KeyError):
        figure_compute("nope")
